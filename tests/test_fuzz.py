"""Fuzz suite (hypothesis): bad input never crashes, hangs, runs code or loses files.

For every generated scenario file, observed-times CSV, extra-nodes file, GraphML file
and GTFS feed, the CLI (run in process with click's ``CliRunner``) must:

* exit 0, or exit 2 with one line ``corridor-geo: error: ...`` on stderr (one per problem
  when a scenario file has several schema problems);
* print no traceback;
* finish within :data:`TIME_LIMIT_S` seconds and allocate at most
  :data:`MEMORY_LIMIT_BYTES` (Python heap + numpy, measured with ``tracemalloc``);
* create no file outside ``--out`` and remove no user file.

A *user file* is any file corridor_geo did not write: files inside an output folder that
carry corridor_geo's manifest (``.corridor_geo-manifest.json``) and are listed in it, and
the manifest itself, are corridor_geo's own and may be replaced by a later run (that is
what ``--out`` on such a folder does). Each example also writes to a fresh ``--out``.

Example counts are bounded (:data:`EXAMPLES`) so CI stays fast; raise them locally with
``CORRIDOR_GEO_FUZZ_EXAMPLES=500``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from corridor_geo.cli import main

EXAMPLES = int(os.environ.get("CORRIDOR_GEO_FUZZ_EXAMPLES", "0")) or None
TIME_LIMIT_S = 120
MEMORY_LIMIT_BYTES = 1 << 30

# no shrinking: a failure is reported as generated, and CI time stays bounded
FUZZ = settings(max_examples=EXAMPLES or 40, deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


def _limits(n: int) -> settings:
    return settings(FUZZ, max_examples=EXAMPLES or n)


# ------------------------------------------------------------------ the invariant

class _TimeoutError(Exception):
    pass


@contextmanager
def _bounded() -> Iterator[None]:
    def alarm(*_: object) -> None:
        raise _TimeoutError

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIME_LIMIT_S)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < MEMORY_LIMIT_BYTES, f"peak allocation {peak / 2**20:.0f} MiB"
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _written_by_corridor_geo(path: Path, root: Path) -> bool:
    """Whether *path* is an output folder's manifest or an entry listed in it."""
    from corridor_geo._io import MANIFEST, read_manifest

    if path.name == MANIFEST:
        return True
    for folder in path.parents:
        if not folder.is_relative_to(root):
            break
        man = read_manifest(folder)
        if man is not None and path.relative_to(folder).parts[0] in man["entries"]:
            return True
    return False


def _all_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The user files below *folder* (not those corridor_geo wrote) and their bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not _written_by_corridor_geo(p, folder)}


def _check(args: list[str], workdir: Path, *, out: Path | None = None) -> int:
    """Run the CLI; assert the invariant; return the exit code."""
    before = _snapshot(workdir)
    before_all = _all_files(workdir)
    try:
        with _bounded():
            res = CliRunner().invoke(main, ["--quiet", *args])
    except _TimeoutError:
        pytest.fail(f"corridor-geo {' '.join(args)}: still running after {TIME_LIMIT_S} s")
    assert res.exit_code in (0, 2), (res.exit_code, res.stderr, repr(res.exception))
    assert "Traceback" not in res.stderr + res.stdout
    if res.exit_code == 2:  # one line per problem (a scenario's schema problems, <= 10 + 1)
        lines = res.stderr.splitlines()
        assert res.stderr.endswith("\n"), res.stderr
        assert 1 <= len(lines) <= 11, res.stderr
        assert all(line.startswith("corridor-geo: error: ") for line in lines), res.stderr
    after = _snapshot(workdir)
    for name, data in before.items():  # no user file removed or changed
        assert after.get(name) == data, f"{name} was changed or removed"
    for name in _all_files(workdir) - before_all:  # new files only inside --out
        assert out is not None, f"{name} written without --out"
        assert (workdir / name).resolve().is_relative_to(out.resolve()), name
    return res.exit_code


# ------------------------------------------------------------------ strategies

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_HOSTILE = st.sampled_from(["=HYPERLINK(\"http://x\",\"y\")", "<img src=x onerror=alert(1)>",
                            "../../etc/passwd", "/dev/zero", "~", "", " ", "广州南", "深圳北",
                            "core_sz_hitech_zone", "core_dg_songshan_lake", "\x00", "nan",
                            "-1", "1e309", "0x10", "*a", "&a", "!!python/name:os.system"])
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), _TEXT, _HOSTILE)
_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(_TEXT, _HOSTILE), inner,
                                                 max_size=4)), max_leaves=12)

_GOOD = {"name": "fuzz", "as_of": 2025, "origins": ["core_dg_songshan_lake"],
         "modes": ["drive"], "bands": [15], "outputs": {"map": False, "report": False}}
_FIELDS = ["name", "description", "as_of", "origins", "destinations", "modes", "bands",
           "network", "extra_nodes", "population", "edits", "outputs", "cell_size_m",
           "timetable"]


@st.composite
def scenario_text(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "random_yaml", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=300))
    if kind == "random_yaml":
        return yaml.safe_dump(draw(_VALUE), allow_unicode=True).encode("utf-8")
    data = dict(_GOOD)
    for key in draw(st.lists(st.sampled_from(_FIELDS), max_size=4)):
        data[key] = draw(_VALUE)
    if draw(st.booleans()):
        data.pop(draw(st.sampled_from(sorted(data))), None)
    text = yaml.safe_dump(data, allow_unicode=True)
    trick = draw(st.sampled_from(["", "dup", "alias", "tag", "truncate"]))
    if trick == "dup":
        text += "name: again\n"
    elif trick == "alias":
        text = "x: &a [1, 2, 3]\ny: [*a, *a, *a]\n" + text
    elif trick == "tag":
        text += "z: !!python/object/apply:os.system ['touch pwned']\n"
    elif trick == "truncate":
        text = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    return text.encode(draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "gb18030"])), "replace")


_CSV_CELL = st.one_of(_TEXT, _HOSTILE, st.floats().map(repr), st.integers().map(str),
                      st.text(alphabet=",\"\n\r;\t", max_size=5))


@st.composite
def observed_csv(draw: st.DrawFn) -> bytes:
    header = draw(st.one_of(st.just(["from", "to", "minutes"]),
                            st.just(["from", "to", "minutes", "note"]),
                            st.lists(st.sampled_from(["from", "to", "minutes", "x", ""]),
                                     max_size=5)))
    places = st.sampled_from(["广州南", "深圳北", "福田", "core_sz_hitech_zone", "松山湖",
                              "Guangzhou South", "nowhere", ""])
    plausible = st.tuples(places, places, st.one_of(
        st.floats(min_value=-10, max_value=1e4).map(lambda v: f"{v:g}"), _CSV_CELL)).map(list)
    rows = draw(st.lists(st.one_of(plausible, plausible, st.lists(
        _CSV_CELL, min_size=0, max_size=len(header) + 1)), max_size=4))
    lines = [",".join(header)] + [",".join(r) for r in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1"]))
    return text.encode(enc, "replace")


@st.composite
def extra_nodes(draw: st.DrawFn) -> tuple[str, bytes]:
    if draw(st.booleans()):
        header = draw(st.one_of(st.just(["id", "name", "lon", "lat"]),
                                st.lists(st.sampled_from(["id", "name", "lon", "lat",
                                                          "name_zh", "confidence", "kind"]),
                                         max_size=6)))
        rows = draw(st.lists(st.lists(_CSV_CELL, max_size=len(header) + 1), max_size=3))
        text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
        return ".csv", text.encode(draw(st.sampled_from(["utf-8", "gbk", "utf-16"])), "replace")
    feats = []
    for _ in range(draw(st.integers(0, 3))):
        coords = draw(st.one_of(
            st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6,
                               max_value=1e6), min_size=0, max_size=3),
            st.just([113.9, 22.9]), _SCALAR))
        props = draw(st.dictionaries(st.sampled_from(["id", "name", "confidence",
                                                      "area_km2", "city"]),
                                     st.one_of(_SCALAR.filter(
                                         lambda v: not (isinstance(v, float)
                                                        and not math.isfinite(v)))),
                                     max_size=4))
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": draw(st.sampled_from(["Point", "LineString"])),
                                   "coordinates": coords}})
    doc = {"type": "FeatureCollection", "features": feats}
    if draw(st.booleans()):
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    return ".geojson", json.dumps(doc, ensure_ascii=False).encode("utf-8")


_NUMBERISH = st.one_of(st.floats().map(repr), st.sampled_from(
    ["114.0", "22.5", "-74", "0", "nan", "inf", "-inf", "1e309", "200", "-91", "", "abc",
     "[1, 2]", "True", "None"]), _TEXT)


_NODE_KEYS = ("x", "y")
_EDGE_KEYS = ("length", "travel_time", "highway", "oneway", "maxspeed", "osmid")
_EDGE_DEFAULTS = {"length": "1028.0", "travel_time": "74.0", "highway": "primary",
                  "oneway": "False", "maxspeed": "60", "osmid": "7"}


def graphml_doc(nodes: list[tuple[str, dict[str, str]]],
                edges: list[tuple[str, str, dict[str, str]]], crs: str | None) -> bytes:
    """A GraphML file as osmnx writes it (all attributes typed string, as osmnx does)."""
    keys = "".join(f'<key id="{k}" for="{f}" attr.name="{k}" attr.type="string" />'
                   for k, f in ([(k, "node") for k in _NODE_KEYS]
                                + [(k, "edge") for k in _EDGE_KEYS] + [("crs", "graph")]))

    def data(attrs: dict[str, str]) -> str:
        return "".join(f'<data key="{k}">{escape(v)}</data>' for k, v in attrs.items())

    body = "".join(f'<node id="{escape(i, {chr(34): "&quot;"})}">{data(a)}</node>'
                   for i, a in nodes)
    body += "".join(f'<edge source="{escape(u, {chr(34): "&quot;"})}" '
                    f'target="{escape(v, {chr(34): "&quot;"})}" id="0">{data(a)}</edge>'
                    for u, v, a in edges)
    if crs is not None:
        body += f'<data key="crs">{escape(crs)}</data>'
    return (f"<?xml version='1.0' encoding='utf-8'?><graphml "
            f'xmlns="http://graphml.graphdrawing.org/xmlns">{keys}'
            f'<graph edgedefault="directed">{body}</graph></graphml>').encode()


def _valid_doc(**change: dict[str, str]) -> bytes:
    """The valid 3-node file with attribute values replaced (``node2={"y": "200"}``)."""
    nodes = [(str(i), {"x": str(114.0 + 0.01 * i), "y": "22.5", **change.get(f"node{i}", {})})
             for i in (1, 2, 3)]
    edges = [(str(a), str(b), {**_EDGE_DEFAULTS, **change.get(f"edge{a}{b}", {})})
             for a, b in ((1, 2), (2, 1), (2, 3), (3, 2))]
    return graphml_doc(nodes, edges, "epsg:4326")


_BAD_IDS = st.sampled_from(["1", "2", "3", "4", "", " ", "-1", "x&y", "1.0", "1e3", "\u4e2d"])


@st.composite
def graphml(draw: st.DrawFn) -> bytes:
    """Mostly the valid 3-node file with attribute values, attributes or ids mutated."""
    def v(default: str) -> str:
        return draw(st.one_of(st.just(default), st.just(default), _NUMBERISH))

    def attrs(defaults: dict[str, str]) -> dict[str, str]:
        drop = draw(st.sets(st.sampled_from(sorted(defaults)), max_size=2)) \
            if draw(st.integers(0, 4)) == 0 else set()
        return {k: v(d) for k, d in defaults.items() if k not in drop}

    ids = ["1", "2", "3"]
    if draw(st.integers(0, 5)) == 0:  # bad or duplicate node ids
        ids = [draw(_BAD_IDS) for _ in ids]
    nodes = [(i, attrs({"x": str(114.0 + 0.01 * k), "y": "22.5"}))
             for k, i in enumerate(ids, 1)]
    pairs = [("1", "2"), ("2", "1"), ("2", "3"), ("3", "2")]
    if draw(st.integers(0, 5)) == 0:  # edges to missing or bad nodes
        pairs = [(draw(_BAD_IDS), draw(_BAD_IDS)) for _ in pairs]
    edges = [(a, b, attrs(_EDGE_DEFAULTS)) for a, b in pairs]
    crs = draw(st.one_of(st.just("epsg:4326"), st.none(), _NUMBERISH))
    return graphml_doc(nodes, edges, crs)


# ------------------------------------------------------------------ the suites

COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def _warm_imports() -> None:
    """Import the heavy modules before tracemalloc starts (imports are not the subject)."""
    import osmnx  # noqa: F401

    import corridor_geo.corridor
    import corridor_geo.graph
    import corridor_geo.scenario
    import corridor_geo.validate

    corridor_geo.corridor.load_corridor()


@pytest.fixture
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz")
    (d / "user_notes.txt").write_text("the user's file\n")
    return d


@FUZZ
@given(data=scenario_text())
def test_fuzz_scenario_files_check(workdir: Path, data: bytes) -> None:
    p = workdir / "s.yaml"
    p.write_bytes(data)
    try:
        _check(["run", str(p), "--check"], workdir)
    finally:
        p.unlink()
    assert not (workdir / "pwned").exists()
    _count("scenario --check")


@_limits(8)
@given(data=scenario_text())
def test_fuzz_scenario_files_run_into_user_folder(workdir: Path, data: bytes) -> None:
    p = workdir / "s.yaml"
    p.write_bytes(data)
    out = workdir / "out"
    out.mkdir(exist_ok=True)
    (out / "mine.csv").write_text("keep me\n")
    try:
        code = _check(["run", str(p), "--out", str(out)], workdir, out=out)
    finally:
        p.unlink()
    assert code == 2  # a folder with a user file is never written without --overwrite
    _count("scenario run --out")


@_limits(30)
@given(data=observed_csv())
def test_fuzz_observed_times_csv(workdir: Path, data: bytes) -> None:
    p = workdir / "obs.csv"
    p.write_bytes(data)
    try:
        _check(["validate-times", str(p), "--no-streets", "--format", "json"], workdir)
    finally:
        p.unlink()
    _count("validate-times")


@_limits(40)
@given(item=extra_nodes())
def test_fuzz_extra_nodes(workdir: Path, item: tuple[str, bytes]) -> None:
    suffix, data = item
    p = workdir / f"nodes{suffix}"
    p.write_bytes(data)
    try:
        _check(["nodes", "--extra-nodes", str(p), "--format", "csv"], workdir)
    finally:
        p.unlink()
    _count("nodes --extra-nodes")


@_limits(25)
@given(data=graphml())
@example(data=_valid_doc())
@example(data=_valid_doc(node2={"y": "200"}))  # latitude 200
@example(data=_valid_doc(node1={"x": "nan"}))
@example(data=_valid_doc(edge12={"length": "-1028"}))  # negative length
@example(data=_valid_doc(edge21={"travel_time": "-74"}))  # negative time
@example(data=_valid_doc(edge23={"travel_time": "inf", "length": "1e309"}))  # inf, huge
@example(data=_valid_doc(edge32={"maxspeed": "nan", "travel_time": "nan"}))  # NaN speed
@example(data=_valid_doc(edge12={"maxspeed": "-40"}))  # negative speed
@example(data=_valid_doc(edge12={"maxspeed": "1e300", "length": "1e300"}))  # huge
@example(data=graphml_doc([("1", {"x": "114.0"}), ("2", {"y": "22.5"})],  # missing x / y
                          [("1", "2", dict(_EDGE_DEFAULTS))], "epsg:4326"))
@example(data=graphml_doc([("1", {"x": "114.0", "y": "22.5"})],  # edge to a missing node
                          [("1", "9", dict(_EDGE_DEFAULTS))], None))
@example(data=graphml_doc([], [], "epsg:4326"))  # no nodes
def test_fuzz_graphml_attributes(workdir: Path, data: bytes) -> None:
    p = workdir / "g.graphml"
    p.write_bytes(data)
    n = COUNTS.get("network build GraphML", 0)
    out = workdir / f"net{n}"  # a fresh --out per example
    try:
        code = _check(["network", "build", str(p), "--out", str(out)], workdir, out=out)
    finally:
        p.unlink()
    if code == 0:  # what was built reads back and is valid
        from corridor_geo.cache import read_network

        read_network(out).validate()
    _count("network build GraphML")


_GTFS_FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "frequencies.txt",
               "calendar.txt", "agency.txt")


@st.composite
def gtfs_edits(draw: st.DrawFn) -> list[tuple[str, int, int, str]]:
    """Edits of the hand-written XRL feed: (file, line, field, new text); field -1 = line."""
    cell = st.one_of(_CSV_CELL, st.sampled_from(
        ["25:61:00", "-1", "0", "99:00:00", "07:40", "S9", "S1", "", "1e9", "nan", "R2"]))
    return draw(st.lists(st.tuples(st.sampled_from(_GTFS_FILES), st.integers(0, 3),
                                   st.integers(-1, 5), cell), min_size=1, max_size=4))


@_limits(25)
@given(edits=gtfs_edits())
def test_fuzz_gtfs_feed(workdir: Path, edits: list[tuple[str, int, int, str]]) -> None:
    import shutil

    from _gtfs_feeds import write_xrl_feed

    feed = write_xrl_feed(workdir / "feed", both_ways=True)
    for name, line, col, text in edits:
        rows = (feed / name).read_text(encoding="utf-8").split("\n")
        k = min(line, len(rows) - 1)
        cells = rows[k].split(",")
        if col < 0:
            rows[k] = text
        else:
            cells[min(col, len(cells) - 1)] = text
            rows[k] = ",".join(cells)
        (feed / name).write_text("\n".join(rows), encoding="utf-8")
    try:
        _check(["matrix", "--mode", "transit", "--from", "广州南", "--to", "深圳北",
                "--no-streets", "--format", "csv", "--gtfs", str(feed)], workdir)
    finally:
        shutil.rmtree(feed)
    _count("matrix --gtfs")


def test_fuzz_counts_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """Print how many examples each fuzz test ran (shown with ``pytest -s``)."""
    with capsys.disabled():
        print("\nfuzz examples:", json.dumps(COUNTS, sort_keys=True))
    assert all(c > 0 for c in COUNTS.values())
