"""The bundled default road network: integrity, rebuild, expressway matching, data checks."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from _bundles import assert_runs_without, assert_script_reproduces_bundle
from shapely.geometry import box

from corridor_geo import _roads, settings
from corridor_geo.errors import DataValidationError, NetworkSourceError
from corridor_geo.graph import default_network, expressway_table

ROOT = Path(__file__).resolve().parents[1]


def test_bundle_matches_recorded_hash():
    folder = settings.geodata_dir()
    manifest = json.loads((folder / _roads.MANIFEST_FILE).read_text(encoding="utf-8"))
    data = (folder / _roads.ROADS_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"]
    arrays, _ = _roads.read_roads()
    assert _roads.arrays_sha256(arrays) == manifest["content_sha256"]
    assert manifest["attribution"] == "© OpenStreetMap contributors"
    assert manifest["source_package"] == "scgraph-data"
    assert manifest["source_version"]
    assert len(arrays["lon_e3"]) == manifest["n_nodes"]
    assert len(arrays["u"]) == manifest["n_edges_undirected"]
    # integrity of the graph itself
    assert (arrays["u"] < arrays["v"]).all()
    w, s, e, n = manifest["bbox"]
    assert (arrays["lon_e3"] > w * 1000).all()
    assert (arrays["lon_e3"] < e * 1000).all()
    assert (arrays["lat_e3"] > s * 1000).all()
    assert (arrays["lat_e3"] < n * 1000).all()
    assert _roads.default_bbox() == tuple(manifest["bbox"])


def test_tampered_bundle_is_refused(tmp_path):
    for name in (_roads.ROADS_FILE, _roads.MANIFEST_FILE):
        shutil.copy(settings.geodata_dir() / name, tmp_path / name)
    _roads.read_roads(tmp_path)  # intact copy reads
    raw = bytearray((tmp_path / _roads.ROADS_FILE).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / _roads.ROADS_FILE).write_bytes(bytes(raw))
    with pytest.raises(NetworkSourceError, match=r"SHA-256.*build_default_network"):
        _roads.read_roads(tmp_path)


def test_bundle_bytes_deterministic_and_loadable(tmp_path):
    arrays = {"u": np.array([0, 1], dtype=np.int32), "v": np.array([1, 2], dtype=np.int32)}
    data = _roads.bundle_bytes(arrays)
    assert data == _roads.bundle_bytes(dict(reversed(list(arrays.items()))))
    (tmp_path / "x.npz").write_bytes(data)
    with np.load(tmp_path / "x.npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z["v"], arrays["v"])


@pytest.mark.slow
def test_script_rebuilds_the_bundle(tmp_path):
    """When scgraph-data is installed, the build script reproduces the bundled files."""
    if importlib.util.find_spec("scgraph_data") is None:
        pytest.skip("scgraph-data is not installed (optional extra 'build-data')")
    assert_script_reproduces_bundle("build_default_network.py",
                                    [_roads.ROADS_FILE, _roads.MANIFEST_FILE], tmp_path)


def test_runtime_does_not_import_scgraph(tmp_path):
    code = ("from corridor_geo.graph import load_network\n"
            "net = load_network(bbox=(113.85, 22.5, 114.1, 22.7), cache=False)\n"
            "assert net.n_edges > 100\n")
    assert_runs_without(code, ["scgraph", "scgraph_data"], tmp_path)


# --------------------------------------------------------------------------- matching
def _grid(n: int = 6, step: float = 1000.0):
    """A square street grid with one straight diagonal-free 'expressway' row at y = 2 km."""
    xs, ys = np.meshgrid(np.arange(n) * step, np.arange(n) * step)
    x, y = xs.ravel().astype(float), ys.ravel().astype(float)
    u, v = [], []
    for i in range(n):
        for j in range(n):
            k = i * n + j
            if j + 1 < n:
                u.append(k)
                v.append(k + 1)
            if i + 1 < n:
                u.append(k)
                v.append(k + n)
    return x, y, np.array(u), np.array(v)


def test_match_follows_the_row_and_skips_crossings():
    x, y, u, v = _grid()
    road = {"id": "r", "xy": ([0.0, 5000.0], [2100.0, 2100.0]), "waypoint_labels": ["a", "b"]}
    idx, bridges, report = _roads.match_expressways(x, y, u, v, [road], band_m=1500.0)
    hit = idx == 0
    # exactly the 5 edges of the row y = 2000 (hand-checked), no crossing street
    assert hit.sum() == 5
    assert (y[u[hit]] == 2000).all()
    assert (y[v[hit]] == 2000).all()
    assert len(bridges) == 0
    assert report[0]["matched_km"] == 5.0


def test_match_bridges_a_missing_stretch():
    x, y, u, v = _grid()
    row = (y[u] == 2000) & (y[v] == 2000) & (x[u] >= 2000) & (x[v] <= 3000)
    keep = ~row
    # drop the middle of the row and every street within 1.2 km of it: the road is missing
    near = keep & ~(((x[u] + x[v]) / 2 > 1500) & ((x[u] + x[v]) / 2 < 3500)
                    & (np.abs((y[u] + y[v]) / 2 - 2000) < 1200))
    road = {"id": "r", "xy": ([0.0, 2000.0, 3000.0, 5000.0], [2000.0] * 4),
            "waypoint_labels": ["a", "b", "c", "d"]}
    idx, bridges, report = _roads.match_expressways(x, y, u[near], v[near], [road], band_m=500.0)
    assert report[0]["bridged_legs"] == ["b - c"]
    assert len(bridges) == 1
    s, t, length, k = bridges[0]
    assert {int(s), int(t)} == {2 * 6 + 2, 2 * 6 + 3}
    assert length == pytest.approx(1000.0)
    assert k == 0
    assert (idx == 0).sum() == 4


def test_waypoints_without_access_make_one_bridged_leg():
    # the row y = 2000 exists, but the road passes its middle waypoints without access
    # (like a sea crossing, or a section whose crossing streets have no ramps): it is one
    # bridge between the two ends, as long as the polyline through all four points
    x, y, u, v = _grid()
    road = {"id": "r", "xy": ([0.0, 2000.0, 3000.0, 5000.0], [2000.0, 2000.0, 3000.0, 2000.0]),
            "waypoint_labels": ["a", "b", "c", "d"], "waypoint_access": [True, False, False, True]}
    idx, bridges, report = _roads.match_expressways(x, y, u, v, [road], band_m=500.0)
    assert (idx == 0).sum() == 0  # no street of the grid becomes the road
    assert report[0]["bridged_legs"] == ["a - d"]
    assert len(bridges) == 1
    s, t, length, _ = bridges[0]
    assert {int(s), int(t)} == {2 * 6 + 0, 2 * 6 + 5}
    # 2000 + sqrt(2) * 1000 + sqrt(2000**2 + 1000**2), by hand
    assert length == pytest.approx(2000.0 + 2 ** 0.5 * 1000.0 + 5 ** 0.5 * 1000.0)
    # a leg is open only when every section inside it is open
    road["legs_open"] = [True, False, True]
    _, bridges, report = _roads.match_expressways(x, y, u, v, [road], band_m=500.0)
    assert len(bridges) == 0
    assert report[0]["legs_not_open"] == ["a - d"]


def test_waypoint_access_in_the_file(tmp_path):
    roads = {r["id"]: r for r in expressway_table()}
    link = roads["shenzhong_link"]
    assert link["waypoint_access"][0]
    assert link["waypoint_access"][-1]
    assert not all(link["waypoint_access"])
    assert all(roads["yanjiang_expressway"]["waypoint_access"])  # an empty cell is access
    folder = _copy_geodata(tmp_path)
    path = folder / _roads.WAYPOINTS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("gs_expressway,1,")
    assert lines[1].endswith(",")
    lines[1] += "no"  # the Guangshen's first waypoint
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"expressway_waypoints\.csv, field access: "
                       r"expressway 'gs_expressway' ends at a waypoint with access 'no'"):
        _roads.read_expressways(folder)
    lines[1] = lines[1][:-2] + "maybe"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError,
                       match=r"expressway_waypoints\.csv, row 1, field access"):
        _roads.read_expressways(folder)


def test_every_expressway_is_recognised():
    """Each listed expressway is found in the default network, continuous, near its length."""
    from corridor_geo.graph import _default_polygon

    net = default_network(polygon=_default_polygon())
    table = {r["id"]: r for r in expressway_table()}
    names = set(np.asarray(net.name))
    for rep in net.meta["expressways"]:
        road = table[rep["id"]]
        assert road["name_en"] in names, rep
        assert not rep["legs_outside"], rep
        got = rep["matched_km"] + rep["bridged_km"]
        if road["length_km"]:
            # chords along a zig-zag of the simplified source: within -20 % / +50 %
            assert 0.8 * road["length_km"] <= got <= 1.5 * road["length_km"], rep


def test_local_links_hand_computed():
    # a 1 km square 0-1-3-2 plus node 4 300 m east of 3 and node 5 far north of 2; roads
    # 0-1 and 2-5, expressway 3-4: nodes 3 and 4 get no local link (expressway), 1-2 is
    # 1414 m apart (beyond 1200 m), 0-1 is already a road: only 0-2 (1000 m) is added
    x = np.array([0.0, 1000.0, 0.0, 1000.0, 1300.0, 0.0])
    y = np.array([0.0, 0.0, 1000.0, 1000.0, 1000.0, 5000.0])
    u, v, on_exp = np.array([0, 3, 2]), np.array([1, 4, 5]), np.array([False, True, False])
    a, b, chord = _roads.local_links(x, y, u, v, on_exp, radius_m=1200.0)
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 2)]
    np.testing.assert_allclose(chord, [1000.0])
    # without the expressway flag, 1-3 (1000 m), 2-3 (1000 m) and 3-4 is a road already
    a2, b2, _ = _roads.local_links(x, y, u, v, np.zeros(3, dtype=bool), radius_m=1200.0)
    assert list(zip(a2.tolist(), b2.tolist(), strict=True)) == [(0, 2), (1, 3), (1, 4),
                                                                 (2, 3)]
    a3, _, _ = _roads.local_links(x, y, u, v, on_exp, radius_m=0.0)
    assert len(a3) == 0


def test_local_layer_never_touches_an_expressway():
    """Expressways are entered only where the source joins a road to them (interchanges)."""
    net = default_network(polygon=box(113.8, 22.5, 114.1, 22.7))
    model = _roads.read_drive_model()
    hw = np.asarray(net.highway)
    local, exp = hw == "local", hw == "expressway"
    assert local.any()
    on_exp = np.zeros(net.n_nodes, dtype=bool)
    on_exp[net.source[exp]] = on_exp[net.target[exp]] = True
    assert not on_exp[net.source[local]].any()
    assert not on_exp[net.target[local]].any()
    # local links: within the radius (x detour), at the local speed, no junction delay
    assert (net.length_m[local] <= model["local_radius_m"] * model["local_detour_factor"]
            + 1e-6).all()
    np.testing.assert_allclose(net.travel_time_s[local],
                               net.length_m[local] / (model["local_kmh"] / 3.6))
    # walk and bike networks have no local layer
    walk = default_network(polygon=box(113.8, 22.5, 114.1, 22.7), network_type="walk")
    assert "local" not in set(np.asarray(walk.highway))


def test_default_network_small_area():
    net = default_network(polygon=box(113.8, 22.5, 114.1, 22.7))
    assert "Guangshen Expressway" in set(np.asarray(net.name))
    assert net.meta["attribution"] == "© OpenStreetMap contributors"


# --------------------------------------------------------------------------- data files
def _copy_geodata(tmp_path: Path) -> Path:
    for name in (_roads.EXPRESSWAYS_FILE, _roads.WAYPOINTS_FILE, _roads.DRIVE_MODEL_FILE):
        shutil.copy(settings.geodata_dir() / name, tmp_path / name)
    return tmp_path


def test_waypoint_errors_name_file_row_field(tmp_path):
    folder = _copy_geodata(tmp_path)
    path = folder / _roads.WAYPOINTS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    parts = lines[3].split(",")
    parts[2] = "east"
    lines[3] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"expressway_waypoints\.csv, row 3, field lon"):
        _roads.read_expressways(folder)


def test_stray_comma_and_gbk_file_in_a_road_table(tmp_path):
    # the road tables go through the one CSV reader: a row with a field too many names
    # the file and line; a GB18030 (Excel on Chinese Windows) copy reads as the original
    folder = _copy_geodata(tmp_path)
    path = folder / _roads.WAYPOINTS_FILE
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode("gb18030"))
    assert _roads.read_expressways(folder) == _roads.read_expressways()
    path.write_text(text + "gs_expressway,99,113.5,23.0,x,low,a note, with a comma,\n",
                    encoding="utf-8")
    n = len(text.splitlines()) + 1
    with pytest.raises(DataValidationError,
                       match=rf"expressway_waypoints\.csv.*line {n} has 9 fields"):
        _roads.read_expressways(folder)


def test_unknown_expressway_and_bad_parameter(tmp_path):
    folder = _copy_geodata(tmp_path)
    path = folder / _roads.WAYPOINTS_FILE
    path.write_text(path.read_text(encoding="utf-8")
                    + "no_such_road,1,113.5,23.0,x,low,test,\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="unknown expressway 'no_such_road'"):
        _roads.read_expressways(folder)
    model = folder / _roads.DRIVE_MODEL_FILE
    text = model.read_text(encoding="utf-8").splitlines()
    text = [ln if not ln.startswith("arterial_kmh,") else "arterial_kmh,500,km/h,test"
            for ln in text]
    model.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"drive_model\.csv, row \d+, field value"):
        _roads.read_drive_model(folder)


def test_every_expressway_has_source_and_typical_below_posted():
    for road in expressway_table():
        assert road["source"]
        assert len(road["waypoints"]) >= 2
        if road["posted_kmh"]:
            assert road["typical_kmh"] <= road["posted_kmh"]


# --------------------------------------------------------------------------- opening years
OUTER_RING = "Shenzhen Outer Ring Expressway"
# roads or sections that opened after 2018 (geodata/expressway_openings.csv)
OPENED_AFTER_2018 = {OUTER_RING, "Nansha Bridge", "Huaguan Expressway",
                     "Guanglian Expressway (Huadu - Conghua section)"}


def _openings_copy(tmp_path: Path) -> Path:
    folder = _copy_geodata(tmp_path)
    shutil.copy(settings.geodata_dir() / _roads.OPENINGS_FILE, folder / _roads.OPENINGS_FILE)
    return folder


def test_every_opening_row_names_an_existing_expressway_and_waypoint_seq():
    roads = {r["id"]: r for r in expressway_table()}
    rows = _roads.read_openings()
    assert {r["expressway_id"] for r in rows} == set(roads)  # every expressway has a row
    for r in rows:
        road = roads[r["expressway_id"]]
        for seq in (r["from_seq"], r["to_seq"]):
            assert seq is None or seq in road["waypoint_seqs"], r
        assert r["source"].strip(), r
        assert (r["opened"] == "") == (r["confidence"] == "unknown"), r
        if r["confidence"] == "unknown":
            assert "treated as open" in r["notes"], r  # the rule is said where it applies
    # the full dates that expressways.csv's notes give (the curated, cited source rows)
    # are all in the openings table, for the same road
    for road in roads.values():
        for date in re.findall(r"\b(?:19|20)\d\d-\d\d-\d\d\b", road["notes"]):
            assert date in {r["opened"] for r in rows if r["expressway_id"] == road["id"]}, \
                (road["id"], date)


def test_opening_years_agree_with_the_expressway_links_of_links_csv():
    # gs_expressway and yanjiang_expressway are also links of the multimodal model, which
    # switches them on by links.csv's opened year: both files give the same year
    from corridor_geo.data import read_geodata

    links = read_geodata().links.set_index("id")
    rows = {r["expressway_id"]: r for r in _roads.read_openings() if r["from_seq"] is None}
    for lid in ("gs_expressway", "yanjiang_expressway"):
        assert links.loc[lid, "mode"] == "expressway"
        assert int(links.loc[lid, "opened"]) == rows[lid]["year"], lid


@pytest.mark.parametrize(("year", "got"), [(1700, "1700"), (2019.5, "float 2019.5"),
                                           ("2019", "str '2019'"), (True, "bool True")])
def test_bad_year_is_an_error_naming_the_value(year, got):
    from corridor_geo.errors import ArgumentError
    from corridor_geo.graph import load_network

    with pytest.raises(ArgumentError, match=r"as_of must be a year from 1800 to 2100, got "
                       + re.escape(got) + "$"):
        load_network(as_of=year)


def test_cli_network_build_as_of(tmp_path):
    from click.testing import CliRunner

    from corridor_geo.cli import main

    r = CliRunner().invoke(main, ["--quiet", "network", "build", "--as-of", "2019"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    meta = json.loads(r.output)["meta"]
    assert meta["as_of"] == 2019
    ring = {e["id"]: e for e in meta["expressways"]}["sz_outer_ring"]
    assert ring["matched_km"] == 0.0
    assert len(ring["legs_not_open"]) == 15
    # a file network is the map it was read from: a year is refused, naming it
    osm = tmp_path / "x.osm"
    osm.write_text("<osm version='0.6'/>", encoding="utf-8")
    r = CliRunner().invoke(main, ["--quiet", "network", "build", str(osm), "--as-of", "2019"])
    assert r.exit_code == 2
    assert "as_of=2019" in r.output


@pytest.mark.parametrize(("line", "message"), [
    ("sz_outer_ring,13,99,2022-01-01,high,test,", r"row \d+, field to_seq: 'sz_outer_ring' "
     r"has no waypoint seq 99"),
    ("no_such_road,,,2020,low,test,", r"row \d+, field expressway_id: unknown expressway"),
    ("nansha_bridge,,,2019-13-01,high,test,", r"row \d+, field opened"),
    ("sz_outer_ring,5,3,2020,low,test,", r"row \d+, field to_seq: from_seq 5 must come before"),
    ("sz_outer_ring,12,14,2020,low,test,", r"row \d+, field from_seq: the leg 12-13 .* covered"),
    ("humen_bridge,2,,1997,low,test,", r"row \d+, field to_seq: give both"),
])
def test_bad_opening_rows_name_file_row_field(tmp_path, line, message):
    folder = _openings_copy(tmp_path)
    path = folder / _roads.OPENINGS_FILE
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"expressway_openings\.csv, " + message):
        _roads.read_openings(folder)


def test_an_opening_without_date_must_say_unknown(tmp_path):
    folder = _openings_copy(tmp_path)
    path = folder / _roads.OPENINGS_FILE
    text = path.read_text(encoding="utf-8")
    assert "\nhumen_bridge,,,1997-06-09,high," in text
    path.write_text(text.replace("\nhumen_bridge,,,1997-06-09,high,", "\nhumen_bridge,,,,high,"),
                    encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"expressway_openings\.csv, row \d+, field "
                       "confidence: opened is empty exactly when confidence is 'unknown'"):
        _roads.read_openings(folder)


def test_open_legs_rule_is_the_rail_rule():
    # a section counts as open in the year it opened (rail: links.csv opened <= as_of)
    roads = {r["id"]: r for r in expressway_table()}
    rows = _roads.read_openings()
    ring = roads["sz_outer_ring"]
    assert _roads.open_legs(ring, rows, as_of=None) == [True] * 15
    assert _roads.open_legs(ring, rows, as_of=2019) == [False] * 15
    assert _roads.open_legs(ring, rows, as_of=2020) == [True] * 12 + [False] * 3  # 2020-12-29
    assert _roads.open_legs(ring, rows, as_of=2022) == [True] * 15
    # Panguan: phase 1 (2019-04-25), 2 (2021-12-31), 3 (2023-12-28)
    pg = roads["panguan_expressway"]
    assert _roads.open_legs(pg, rows, as_of=2019) == [True] + [False] * 6
    assert _roads.open_legs(pg, rows, as_of=2021) == [True] * 4 + [False] * 3
    assert _roads.open_legs(pg, rows, as_of=2023) == [True] * 7
    # no date found: open in every year
    assert _roads.open_legs(roads["changhu_expressway"], rows, as_of=1990) == [True] * 6


@pytest.fixture(scope="module")
def nets_by_year():
    from corridor_geo.graph import load_network

    return {y: load_network(as_of=y) for y in (None, 2018, 2019, 2021, 2023)}


def _named_pairs(net, name):
    lon, lat = np.asarray(net.lon), np.asarray(net.lat)
    s, t = np.asarray(net.source), np.asarray(net.target)
    on = np.flatnonzero(np.asarray(net.name) == name)
    return {(lon[s[e]], lat[s[e]], lon[t[e]], lat[t[e]]) for e in on}


def test_outer_ring_absent_in_2019_arterial_and_present_in_2023(nets_by_year):
    now, y2019, y2021, y2023 = (nets_by_year[y] for y in (None, 2019, 2021, 2023))
    ring_now = _named_pairs(now, OUTER_RING)
    assert len(ring_now) > 40
    assert _named_pairs(y2023, OUTER_RING) == ring_now
    assert not _named_pairs(y2019, OUTER_RING)
    # the roads it was matched onto are still there in 2019, as ordinary arterials
    lon, lat = np.asarray(y2019.lon), np.asarray(y2019.lat)
    s, t, hw = np.asarray(y2019.source), np.asarray(y2019.target), np.asarray(y2019.highway)
    nm = np.asarray(y2019.name)
    cls = {(lon[s[e]], lat[s[e]], lon[t[e]], lat[t[e]]): (str(hw[e]), str(nm[e]))
           for e in range(len(s))}
    arrays, _ = _roads.read_roads()
    rlon, rlat = arrays["lon_e3"] / 1000.0, arrays["lat_e3"] / 1000.0
    u, v = arrays["u"], arrays["v"]
    raw = {(rlon[a], rlat[a], rlon[b], rlat[b]) for a, b in zip(u, v, strict=True)}
    raw |= {(c, d, a, b) for a, b, c, d in raw}
    matched = [p for p in ring_now if p in raw]  # the others were bridges over gaps
    assert len(matched) > 30
    # still there: as arterials, or (4 edges near Kengzi) as the Shenshan expressway
    # (1996), which the matching gives the same chords; never as a road not yet open
    got = [cls[p] for p in matched]
    assert sum(c == ("arterial", "") for c in got) >= 30
    assert {n for c, n in got if c == "expressway"} <= {"Shenshan Expressway (Shenzhen section)"}
    assert not [p for p in ring_now if p not in raw and p in cls]  # bridges not created
    # phase 2 (Pingdi - Jinsha, 2022-01-01) is not open in 2021, phase 1 is
    rep = {r["id"]: r for r in y2021.meta["expressways"]}["sz_outer_ring"]
    assert rep["legs_not_open"] == ["Pingdi hub 坪地 (Huiyan) - Baolong 宝龙",
                                    "Baolong 宝龙 - Kengzi east 坑梓东",
                                    "Kengzi east 坑梓东 - Jinsha 金沙 (Julong road)"]
    assert 0 < len(_named_pairs(y2021, OUTER_RING)) < len(ring_now)
    # the year is recorded
    assert [nets_by_year[y].meta["as_of"] for y in (None, 2019, 2023)] == [None, 2019, 2023]


def _nearest(net, lon, lat):
    from corridor_geo.network import haversine_m

    return int(np.argmin(haversine_m(np.asarray(net.lon), np.asarray(net.lat), lon, lat)))


def _nx_graph(net):
    # a networkx graph of the edge arrays, built here as an independent peer of the
    # package's routing; the fastest of parallel edges is added last and kept
    import networkx as nx

    s, t = np.asarray(net.source), np.asarray(net.target)
    w, names = np.asarray(net.travel_time_s, dtype=float), np.asarray(net.name)
    hw = np.asarray(net.highway)
    g = nx.DiGraph()
    for e in np.argsort(-w):
        g.add_edge(int(s[e]), int(t[e]), w=float(w[e]), name=str(names[e]), hw=str(hw[e]))
    return g


@pytest.mark.parametrize(("a", "b", "before", "after", "road", "saved_s"), [
    # Guangming Phoenix City -> Longgang: the Outer Ring (2020-12-29); 38.4 -> 29.9 min
    ("node_sz_guangming_phoenix_city", "dist_sz_longgang", 2019, 2021, OUTER_RING, 300.0),
    # Knowledge City -> Songshan Lake: Huaguan (2020); 63.9 -> 53.4 min
    ("core_gz_knowledge_city", "core_dg_songshan_lake", 2019, 2021, "Huaguan Expressway", 300.0),
    # Binhaiwan -> University Town: the Riverside expressway (2013-12-28); 60.3 -> 39.4 min
    ("core_dg_binhaiwan", "core_gz_utown_iic", 2012, 2016, "Yanjiang Expressway", 600.0),
])
def test_drive_longer_before_a_road_opened_hand_checked(nets_by_year, a, b, before, after,
                                                        road, saved_s):
    # the shortest drive uses *road* in the later year and cannot in the earlier one;
    # times by networkx on a graph built here from the edge arrays, and by scipy on the
    # same arrays
    import networkx as nx
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    pts = load_corridor().places().set_index("id").geometry
    out = {}
    for year in (before, after):
        net = nets_by_year[year] if year in nets_by_year else load_network(as_of=year)
        o, d = _nearest(net, pts.loc[a].x, pts.loc[a].y), _nearest(net, pts.loc[b].x,
                                                                     pts.loc[b].y)
        s, t = np.asarray(net.source), np.asarray(net.target)
        w = np.asarray(net.travel_time_s, dtype=float)
        g = _nx_graph(net)
        sec, path = nx.single_source_dijkstra(g, o, d, weight="w")
        keep = np.lexsort((w, t, s))  # csr sums duplicates: keep the fastest per node pair
        first = np.ones(len(keep), dtype=bool)
        first[1:] = (s[keep][1:] != s[keep][:-1]) | (t[keep][1:] != t[keep][:-1])
        k = keep[first]
        csr = csr_array((w[k], (s[k], t[k])), shape=(net.n_nodes, net.n_nodes))
        assert dijkstra(csr, indices=o)[d] == pytest.approx(sec, rel=1e-9)
        used = {g.edges[p, q]["name"] for p, q in itertools.pairwise(path)}
        out[year] = (sec, used)
    (t0, used0), (t1, used1) = out[before], out[after]
    assert road in used1
    assert road not in used0
    assert t0 > t1 + saved_s


def test_nanshan_to_songshan_lake_takes_the_published_expressways_in_order():
    # xigushan.com (2016): Nanshan -> Songshan Lake "南光高速-龙大高速-虎岗高速-莞深高速".
    # The fastest drive of that year, found by networkx on the edge arrays, runs those four
    # expressways in that order (other classes in between are ignored); before default-21
    # the Longda - Guanshen link (the Hugang) was an arterial.
    import networkx as nx

    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    net = load_network(as_of=2016)
    pts = load_corridor().places().set_index("id").geometry
    o = _nearest(net, pts.loc["dist_sz_nanshan"].x, pts.loc["dist_sz_nanshan"].y)
    d = _nearest(net, pts.loc["core_dg_songshan_lake"].x, pts.loc["core_dg_songshan_lake"].y)
    g = _nx_graph(net)
    path = nx.dijkstra_path(g, o, d, weight="w")
    seq = [g.edges[p, q]["name"] for p, q in itertools.pairwise(path)
           if g.edges[p, q]["hw"] == "expressway"]
    assert [k for k, _ in itertools.groupby(seq)] == [
        "Nanguang Expressway", "Longda Expressway",
        "Hugang Expressway (G1523, Dongguan: Dalingshan hub - Songshan Lake south)",
        "Guanshen Expressway"]
    # not open before 2005-09-29: the same link is an ordinary arterial in 2004
    rep = {r["id"]: r for r in load_network(as_of=2004).meta["expressways"]}
    assert rep["hugang_expressway"]["matched_km"] == 0.0
    assert rep["hugang_expressway"]["legs_not_open"]


def test_a_year_after_the_latest_opening_is_the_current_network():
    import pandas as pd

    from corridor_geo import _roads
    from corridor_geo.graph import load_network
    from corridor_geo.settings import geodata_dir

    # the latest opening year read straight from the file, not through the package
    opened = pd.read_csv(geodata_dir() / "expressway_openings.csv", dtype=str)["opened"]
    latest = int(opened.dropna().str[:4].astype(int).max())
    assert _roads.effective_as_of(latest - 1) == latest - 1
    assert _roads.effective_as_of(latest) is None
    assert _roads.effective_as_of(latest + 50) is None
    now, later = load_network(), load_network(as_of=latest + 50)
    assert later.meta["as_of"] is None
    assert np.array_equal(np.asarray(now.travel_time_s), np.asarray(later.travel_time_s))
