"""Tests of corridor_geo.figures: PNGs written, deterministic, values drawn, bad input."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from _mapdata import synthetic_catchments, synthetic_corridor, synthetic_matrix

from corridor_geo import figures
from corridor_geo.errors import DataValidationError


@pytest.fixture(scope="module")
def corridor():
    return synthetic_corridor(boundary_vertices=400)


def _is_png_with_content(path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(path)
    assert img[..., :3].std() > 0.02


def test_corridor_figure_is_deterministic(tmp_path, corridor):
    a = tmp_path / "a.png"
    b = tmp_path / "b.png"
    figures.corridor_figure(corridor, axis=corridor.axis, path=a)
    figures.corridor_figure(corridor, axis=corridor.axis, path=b)
    _is_png_with_content(a)
    assert a.read_bytes() == b.read_bytes()
    assert b"Software" not in a.read_bytes()[:200]


def test_corridor_figure_draws_every_element(corridor):
    fig = figures.corridor_figure(corridor, axis=corridor.axis, plan_axis=corridor.plan_axis)
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    # plan axis length by hand in tests/test_maps.py: 56.9 + 71.6 km
    for expected in ["core platforms", "innovation nodes", "plan axis 128.5 km (plan ~180 km)",
                     "all-cores axis 262.5 km", "high-speed rail",
                     "intercity rail (planned)", "expressway"]:
        assert expected in labels
    names = {t.get_text() for t in ax.texts}
    assert "Songshan Lake" in names
    assert "20 km" in names


def test_matrix_heatmap_values(tmp_path, corridor):
    cells = synthetic_matrix(corridor)
    path = tmp_path / "m.png"
    fig = figures.matrix_heatmap(cells, path=path,
                                 labels=dict(zip(corridor.platforms["id"],
                                                 corridor.platforms["name_en"], strict=True)))
    _is_png_with_content(path)
    data = fig.axes[0].images[0].get_array()
    n = len(corridor.platforms)
    assert data.shape == (n, n)
    row = cells[(cells["from_id"] == "core_gz_tianhe") & (cells["to_id"] == "core_sz_dapeng")]
    i, j = 0, n - 1  # order of first appearance = platform order
    assert data[i, j] == pytest.approx(float(row["minutes"].iloc[0]))
    assert np.allclose(np.diag(data), 0.0)


def test_matrix_heatmap_says_no_route_for_unreachable_pairs(corridor):
    cells = synthetic_matrix(corridor)
    far = (cells["from_id"] == "core_gz_tianhe") & (cells["to_id"] == "core_sz_dapeng")
    cells.loc[far, "minutes"] = np.inf
    fig = figures.matrix_heatmap(cells)
    texts = [t.get_text() for t in fig.axes[0].texts]
    n = len(corridor.platforms)
    assert texts.count("no\nroute") == 1
    assert sum(t.isdigit() for t in texts) == n * n - 1
    assert "no route" in fig.get_supxlabel()
    # a fully reachable matrix has neither the marks nor the footnote
    full = figures.matrix_heatmap(synthetic_matrix(corridor))
    assert "no\nroute" not in [t.get_text() for t in full.axes[0].texts]
    assert "no route" not in full.get_supxlabel()


def test_matrix_heatmap_needs_one_mode(corridor):
    cells = synthetic_matrix(corridor)
    both = pd.concat([cells.assign(mode="walk"), cells])
    with pytest.raises(DataValidationError, match="several modes"):
        figures.matrix_heatmap(both)
    with pytest.raises(DataValidationError, match="no cells for mode 'bike'"):
        figures.matrix_heatmap(cells, mode="bike")
    with pytest.raises(DataValidationError, match="minutes"):
        figures.matrix_heatmap(cells.drop(columns="minutes"))


def test_catchment_bars(tmp_path):
    cat = synthetic_catchments(n_origins=3, bands=(30, 60), cell_m=1000)
    path = tmp_path / "c.png"
    fig = figures.catchment_bars(cat, path=path)
    _is_png_with_content(path)
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == sorted(round(v, 6) for v in cat["area_km2"])
    # the title names the mode and the bands
    assert ax.get_title() == "Catchment area by drive, within 30, 60 min"
    # the bars take the maps' band colours (shortest band darkest)
    from matplotlib.colors import to_hex

    from corridor_geo.maps import BAND_COLOURS

    colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    assert colours == set(BAND_COLOURS[:2])
    with pytest.raises(DataValidationError, match="area_km2"):
        figures.catchment_bars(cat.drop(columns="area_km2"))


def test_heatmap_numbers_are_legible(corridor):
    cells = synthetic_matrix(corridor)
    fig = figures.matrix_heatmap(cells)
    numbers = [t for t in fig.axes[0].texts if t.get_text().isdigit()]
    n = len(corridor.platforms)
    assert len(numbers) == n * n
    assert min(t.get_fontsize() for t in numbers) >= 8
    # at least 0.5 inch per cell
    assert fig.get_size_inches()[0] >= 0.5 * n
    assert fig.get_suptitle() == f"Travel time by drive between {n} places (minutes)"


@pytest.mark.slow
def test_real_corridor_labels_do_not_overlap():
    """The bundled corridor's platform labels (Bantian-Xuegang and Bio-Valley overlapped)."""
    from corridor_geo.corridor import load_corridor
    from corridor_geo.extent import corridor_extent

    corridor = load_corridor()
    ext = corridor_extent(corridor)
    fig = figures.corridor_figure(corridor, axis=ext.axis, plan_axis=ext.plan_axis)
    labels = [t for t in fig.axes[0].texts if t.get_text() != "20 km"]
    assert len(labels) == len(corridor.platforms)
    assert figures.label_overlaps(fig, labels) == 0
    # the check can fail: the same labels at the points themselves overlap
    raw = figures.corridor_figure(corridor, label_platforms=False)
    ax = raw.axes[0]
    pl = corridor.platforms.to_crs("EPSG:4547")
    texts = [ax.text(g.x, g.y, figures._short(n), fontsize=7.5)
             for n, g in zip(pl["name_en"], pl.geometry, strict=True)]
    assert figures.label_overlaps(raw, texts) > 0


def test_width_profile_figure_never_draws_zero_over_water():
    """Where the axis leaves the corridor the connected width is not drawn as 0."""
    import pandas as pd

    prof = pd.DataFrame({"distance_km": [0, 5, 10, 15, 20, 25.0],
                         "width_km": [0, 40, 30, 20, 25, 0.0],
                         "width_connected_km": [0, 40, 0, 0, 25, 0.0]})
    fig = figures.width_profile_figure(prof)
    ax = fig.axes[0]
    total, conn = (line.get_ydata() for line in ax.get_lines()[:2])
    assert list(total) == [0, 40, 30, 20, 25, 0]
    assert np.isnan(conn[2])
    assert np.isnan(conn[3])
    assert conn[1] == 40
    spans = list(ax.patches)  # the shaded stretch: 10 and 15 km, ± half a step
    assert len(spans) == 1
    x0 = spans[0].get_x()
    assert (x0, x0 + spans[0].get_width()) == (7.5, 17.5)


def test_catchment_bar_labels_match_the_areas():
    """A bar's label gives its area to 0.05 km² below 100 km², as the CLI's table and the
    map's tooltips do: walk bands of 0.44 and 3.5 km² were labelled "0" and "4"."""
    cat = pd.DataFrame({"origin_id": ["p"] * 4, "mode": ["walk"] * 4,
                        "band_min": [5, 10, 15, 60], "area_km2": [0.4375, 2.0, 3.5, 1234.56]})
    ax = figures.catchment_bars(cat).axes[0]
    labels = [float(t.get_text().replace(",", "")) for t in ax.texts]
    heights = [p.get_height() for p in ax.patches]
    assert len(labels) == len(heights) == 4
    for shown, height in zip(labels, heights, strict=True):
        assert abs(shown - height) <= (0.05 if height < 100 else 0.5), (shown, height)
