"""Short reprs and HTML summaries of the public result objects (issue 15, item 3).

The check is against the objects' own sizes: a repr names counts and key figures in at
most a few hundred characters and an HTML summary is a small table, never the data (a
dataclass's default repr of a Corridor or a Comparison printed every row of every table).
"""

from __future__ import annotations

import re

import pytest

from corridor_geo._repr import MAX_REPR, summary_html, summary_text
from corridor_geo.corridor import load_corridor
from corridor_geo.data import read_geodata
from corridor_geo.extent import corridor_extent
from corridor_geo.network import Network

HTML_MAX = 4000


def _check(obj, *must: str) -> tuple[str, str]:
    text, page = repr(obj), obj._repr_html_()
    assert len(text) <= MAX_REPR, text
    assert "\n" not in text
    assert len(page) <= HTML_MAX
    assert page.count("<table") == 1
    assert "POINT" not in text  # no geometries
    assert "POINT" not in page
    for m in must:
        assert m in text or m in page, m
    return text, page


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


def test_corridor(corridor):
    text, page = _check(corridor, "platforms=10", "districts=21")
    # the counts are the table lengths
    assert f"stations={(corridor.stations['kind'] == 'station').sum()}" in text
    assert "nodes without a point=30" in text
    assert "<th style='text-align:left'>links</th>" in page
    c = corridor.with_links(enable=["gz_sz_2nd_hsr"])
    assert "enabled=gz_sz_2nd_hsr" in repr(c)


def test_years_are_written_as_years():
    """as_of=2025, not as_of=2,025 (a count gets separators, a year does not)."""
    from corridor_geo.transit.multimodal import MultimodalNetwork

    c = load_corridor(as_of=2025)
    _check(c, "as_of=2025", "<td style='text-align:left'>2025</td>")
    assert "2,025" not in repr(c)
    assert "2,025" not in c._repr_html_()
    mm = MultimodalNetwork()
    mm.as_of = 2019
    page = mm._repr_html_()
    assert "<td style='text-align:left'>2019</td>" in page
    assert summary_text("R", [("as_of", 2025), ("rows", 2025)]) == "<R: as_of=2025, rows=2,025>"


def test_geodata():
    gd = read_geodata()
    _check(gd, f"places={len(gd.places)}", f"stations={len(gd.stations)}")


def test_extent(corridor):
    ext = corridor_extent(corridor)
    text, _ = _check(ext, "CorridorExtent", "plan 11,836")
    assert f"area={ext.area_km2:,.1f} km²" in text
    # the width profile (a table of ~40 rows) is not printed
    assert str(len(ext.width_profile)) not in re.sub(r"[\d.,]+ km", "", text)
    _check(ext.rectangle, f"length (km)={ext.rectangle.length_km:,.1f}")


def test_network():
    net = Network.from_edges(osmid=[1, 2], lon=[114.0, 114.01], lat=[22.5, 22.5],
                             source=[0, 1], target=[1, 0], length_m=[1028.0, 1028.0],
                             travel_time_s=[74.0, 74.0], highway=["primary"] * 2,
                             name=["", ""], meta={"source": "toy"})
    _, page = _check(net, "n_nodes=2", "n_edges=2")
    assert "toy" in page


def test_helpers_escape_and_cut():
    page = summary_html("T<", [("a&b", "<script>")])
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    long = summary_text("T", [("k", "x" * 1000)] * 10)
    assert len(long) <= MAX_REPR
    assert long.endswith("…>")


def test_batch_report(tmp_path):
    from corridor_geo.batch import BatchItem, BatchReport

    items = tuple(BatchItem(path=f"s{i}.yaml", name=f"s{i}", status="done",
                            message="", inputs_hash="x" * 64) for i in range(500))
    rep = BatchReport(items=(*items, BatchItem(path="bad.yaml", name="bad", status="failed",
                                               message="boom")), out=tmp_path)
    text, _ = _check(rep, "scenarios=501", "done=500", "failed=1")
    assert "failed scenarios=bad" in text
    assert "x" * 64 not in text  # not the items


def test_multimodal_network_html():
    from corridor_geo.transit.multimodal import MultimodalNetwork

    page = MultimodalNetwork()._repr_html_()
    assert page.count("<table") == 1
    assert "rail services" in page
