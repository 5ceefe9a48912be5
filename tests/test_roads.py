"""The bundled default road network: integrity, rebuild, expressway matching, data checks."""

from __future__ import annotations

import hashlib
import importlib.util
import json
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


def test_unknown_expressway_and_bad_parameter(tmp_path):
    folder = _copy_geodata(tmp_path)
    path = folder / _roads.WAYPOINTS_FILE
    path.write_text(path.read_text(encoding="utf-8")
                    + "no_such_road,1,113.5,23.0,x,low,test\n", encoding="utf-8")
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
