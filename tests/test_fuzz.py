"""Fuzz suite (hypothesis): bad input never crashes, hangs, runs code or loses files.

For every generated scenario file, observed-times CSV, extra-nodes file and GraphML
file, the CLI (run in process with click's ``CliRunner``) must:

* exit 0, or exit 2 with exactly one line ``corridor-geo: error: ...`` on stderr;
* print no traceback;
* finish within :data:`TIME_LIMIT_S` seconds and allocate at most
  :data:`MEMORY_LIMIT_BYTES` (Python heap + numpy, measured with ``tracemalloc``);
* create no file outside ``--out`` and remove no user file.

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
from hypothesis import HealthCheck, Phase, given, settings
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


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(args: list[str], workdir: Path, *, out: Path | None = None) -> int:
    """Run the CLI; assert the invariant; return the exit code."""
    before = _snapshot(workdir)
    try:
        with _bounded():
            res = CliRunner().invoke(main, ["--quiet", *args])
    except _TimeoutError:
        pytest.fail(f"corridor-geo {' '.join(args)}: still running after {TIME_LIMIT_S} s")
    assert res.exit_code in (0, 2), (res.exit_code, res.stderr, repr(res.exception))
    assert "Traceback" not in res.stderr + res.stdout
    if res.exit_code == 2:
        assert res.stderr.startswith("corridor-geo: error: "), res.stderr
        assert res.stderr.count("\n") == 1, res.stderr
    after = _snapshot(workdir)
    for name, data in before.items():  # no user file removed or changed
        assert after.get(name) == data, f"{name} was changed or removed"
    for name in set(after) - set(before):  # new files only inside --out
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
           "network", "extra_nodes", "population", "edits", "outputs", "cell_size_m"]


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


@st.composite
def graphml(draw: st.DrawFn) -> bytes:
    def v(default: str) -> str:
        return escape(draw(st.one_of(st.just(default), st.just(default), _NUMBERISH)))

    nodes = "".join(
        f'<node id="{i}"><data key="x">{v(str(114.0 + 0.01 * i))}</data>'
        f'<data key="y">{v("22.5")}</data></node>' for i in (1, 2, 3))
    edges = "".join(
        f'<edge source="{a}" target="{b}" id="0"><data key="length">{v("1028.0")}</data>'
        f'<data key="travel_time">{v("74.0")}</data><data key="highway">{v("primary")}</data>'
        f'<data key="oneway">{v("False")}</data><data key="maxspeed">{v("60")}</data>'
        f'<data key="osmid">{v("7")}</data></edge>'
        for a, b in ((1, 2), (2, 1), (2, 3), (3, 2)))
    keys = "".join(f'<key id="{k}" for="{f}" attr.name="{k}" attr.type="string" />'
                   for k, f in (("x", "node"), ("y", "node"), ("length", "edge"),
                                ("travel_time", "edge"), ("highway", "edge"),
                                ("oneway", "edge"), ("maxspeed", "edge"), ("osmid", "edge"),
                                ("crs", "graph")))
    crs = v("epsg:4326")
    return (f"<?xml version='1.0' encoding='utf-8'?><graphml "
            f'xmlns="http://graphml.graphdrawing.org/xmlns">{keys}'
            f'<graph edgedefault="directed">{nodes}{edges}<data key="crs">{crs}</data>'
            f"</graph></graphml>").encode()


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


def test_fuzz_counts_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """Print how many examples each fuzz test ran (shown with ``pytest -s``)."""
    with capsys.disabled():
        print("\nfuzz examples:", json.dumps(COUNTS, sort_keys=True))
    assert all(c > 0 for c in COUNTS.values())
