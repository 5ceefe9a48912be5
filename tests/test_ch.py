"""Origin × destination times (corridor_geo._ch): CCH and chunked Dijkstra against scipy.

Independent truth: ``scipy.sparse.csgraph.dijkstra`` one-to-all on the same CSR graph,
both on the network's weights (agreement within the hierarchy's rounding) and on the
weights rounded to the hierarchy's quantum (agreement bit for bit).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from corridor_geo import _ch
from corridor_geo.errors import CorridorGeoError
from corridor_geo.graph import load_network
from corridor_geo.network import Network
from corridor_geo.routing import components, travel_times
from corridor_geo.testing import shared_data_path

pytest.importorskip("pyroutingkit")

EXTRACTS = [
    "osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf",
    "osm/shenzhen_longgang_center_2019-11.osm",
    "osm/shenzhen_nanshan_hitech_full_2021-03.osm",
]


def _dense(net: Network, origins, weight="travel_time_s") -> np.ndarray:
    w = net.csr(weight)
    return np.atleast_2d(dijkstra(w, directed=True, indices=np.asarray(origins)))


def _rounded_truth(net: Network, origins, targets, q: float) -> np.ndarray:
    """scipy Dijkstra on the arc weights rounded to multiples of *q* (exact binary sums)."""
    csr = net.csr("travel_time_s").copy()
    csr.data = np.rint(csr.data / q) * q
    return np.atleast_2d(dijkstra(csr, directed=True, indices=np.asarray(origins)))[:, targets]


def _pick(net: Network, k: int, seed: int, *, main_only: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if main_only:
        labels, sizes = components(net)
        pool = np.flatnonzero(labels == np.argmax(sizes))
    else:
        pool = np.arange(net.n_nodes)
    return np.sort(rng.choice(pool, size=k, replace=False))


@pytest.mark.shared
@pytest.mark.parametrize("extract", EXTRACTS)
def test_ch_equals_dijkstra_on_real_extracts(extract):
    net = load_network(shared_data_path(extract), network_type="drive")
    origins = _pick(net, 40, 1)  # any nodes: islands and one-way dead ends included
    targets = _pick(net, 60, 2)
    got = travel_times(net, origins, targets=targets, method="ch", on_island="ignore")
    ref = _dense(net, origins)[:, targets]
    assert got.shape == (40, 60)
    assert np.array_equal(np.isinf(got), np.isinf(ref))  # same pairs unreachable
    fin = np.isfinite(ref)
    assert fin.sum() > 0.5 * fin.size
    q = _ch.quantum(net)
    assert q <= 2.0 ** -10
    # within the rounding of the arcs: q/2 per arc, a path has < n_nodes arcs; measured
    # far below a millisecond
    assert np.abs(got[fin] - ref[fin]).max() < 1e-3
    # and bit for bit the shortest times of the rounded weights
    assert np.array_equal(got, _rounded_truth(net, origins, targets, q))


@pytest.mark.shared
def test_dijkstra_targets_equal_dense_columns_and_no_dense_alloc(monkeypatch):
    net = load_network(shared_data_path(EXTRACTS[0]), network_type="drive")
    origins = _pick(net, 30, 3)
    targets = _pick(net, 7, 4)
    ref = _dense(net, origins)
    # forward (more targets than origins) is exactly the dense columns
    fwd = travel_times(net, targets, targets=origins, method="dijkstra", on_island="ignore")
    assert np.array_equal(fwd, _dense(net, targets)[:, origins])
    # reverse search from the fewer targets: the same times up to summation order
    monkeypatch.setattr(_ch, "CHUNK_CELLS", 3 * net.n_nodes)  # three searches per chunk
    rev = travel_times(net, origins, targets=targets, method="dijkstra", on_island="ignore")
    np.testing.assert_allclose(rev, ref[:, targets], rtol=1e-12, atol=0)
    # duplicates and order are kept; cutoff sets inf beyond it on both methods
    o2 = np.array([origins[3], origins[0], origins[3]])
    for method in ("dijkstra", "ch"):
        got = travel_times(net, o2, targets=targets, cutoff_s=300, method=method,
                           on_island="ignore")
        want = ref[[3, 0, 3]][:, targets]
        want = np.where(want > 300, np.inf, want)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)
        assert np.array_equal(np.isinf(got), np.isinf(want))


def _grid_net(k: int, seed: int) -> Network:
    """A k × k grid of two-way 100 m streets with random travel times (5-15 s)."""
    idx = np.arange(k * k).reshape(k, k)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    src, tgt = np.concatenate([a, b]), np.concatenate([b, a])
    tt = np.random.default_rng(seed).uniform(5, 15, len(src))
    return Network.from_edges(osmid=np.arange(k * k), lon=114 + (np.arange(k * k) % k) * 1e-3,
                              lat=22.5 + (np.arange(k * k) // k) * 1e-3, source=src,
                              target=tgt, length_m=np.full(len(src), 100.0), travel_time_s=tt,
                              highway=["primary"] * len(src), name=[""] * len(src))


def test_auto_picks_by_size_and_errors():
    # a 30 × 30 grid, two-way streets of 100 m
    k = 30
    net = _grid_net(k, 0)
    nodes = np.arange(0, k * k, 7)  # 129 nodes >= CH_MIN_SIDE
    got = travel_times(net, nodes, targets=nodes)
    assert "ch_metric:travel_time_s" in net._cache  # auto used the hierarchy
    ref = _dense(net, nodes)[:, nodes]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)
    assert np.array_equal(got, _rounded_truth(net, nodes, nodes, _ch.quantum(net)))
    small = travel_times(net.copy(), nodes[:5], targets=nodes)
    assert np.array_equal(small, _dense(net, nodes[:5])[:, nodes])  # dijkstra: exact
    assert travel_times(net, nodes[:0], targets=nodes).shape == (0, len(nodes))
    with pytest.raises(CorridorGeoError, match="unknown routing method"):
        travel_times(net, [0], targets=[1], method="bogus")  # type: ignore[arg-type]
    with pytest.raises(CorridorGeoError, match="targets must be node indices"):
        travel_times(net, [0], targets=[1.5])
    with pytest.raises(CorridorGeoError, match="out of range"):
        travel_times(net, [0], targets=[k * k])


def test_ch_routes_on_a_weight_array(tmp_path, monkeypatch):
    # travel_times(weight=<one value per edge>) is documented for every method; with a
    # hierarchy (method="ch", or "auto" with >= CH_MIN_SIDE nodes on both sides) the
    # quantum compared the array with "travel_time_s" and raised "The truth value of an
    # array with more than one element is ambiguous"
    monkeypatch.setenv("CORRIDOR_GEO_CACHE_DIR", str(tmp_path))
    k = 15
    net = _grid_net(k, 11)
    rng = np.random.default_rng(12)
    w = rng.uniform(1, 50, net.n_edges)  # e.g. a generalised cost per edge
    nodes = np.arange(k * k)
    ref = _dense(net, nodes, weight=w)  # scipy on the same weights
    for method in ("ch", "auto"):
        got = travel_times(net, nodes, targets=nodes, weight=w, method=method)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)
    # the array's quantum does not replace the travel times' cached one
    assert "ch_bound_ref" not in net._cache


def test_recustomize_after_speed_change_reuses_topology(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_GEO_CACHE_DIR", str(tmp_path))
    k = 20
    net = _grid_net(k, 5)
    nodes = np.arange(k * k)
    before = travel_times(net, nodes, targets=nodes, method="ch")
    topo = net._cache["ch_topology"]
    assert any((tmp_path / "cch").iterdir())  # saved for the next process
    slow = net.with_travel_times(net.travel_time_s * np.where(net.source < 100, 3.0, 1.0))
    after = travel_times(slow, nodes, targets=nodes, method="ch")
    assert slow._cache["ch_topology"] is topo  # re-customized, not re-preprocessed
    np.testing.assert_allclose(after, _dense(slow, nodes), rtol=0, atol=1e-4)
    assert (after >= before - 1e-4).all()  # slower everywhere, up to the rounding
    assert (after > before + 1).any()
    # closed roads (infinite times) keep the arcs: same topology, infinite arc weight
    closed = net.with_travel_times(np.where(net.source % 7 == 0, np.inf, net.travel_time_s))
    got = travel_times(closed, nodes, targets=nodes, method="ch", on_island="ignore")
    assert closed._cache["ch_topology"] is topo
    ref = _dense(closed, nodes)
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=0, atol=1e-4)
    # a fresh network object with the same arcs loads the topology from disk
    again = Network.from_edges(osmid=np.arange(k * k), lon=net.lon, lat=net.lat,
                               source=net.source, target=net.target, length_m=net.length_m,
                               travel_time_s=net.travel_time_s, highway=net.highway,
                               name=net.name)
    np.testing.assert_array_equal(travel_times(again, nodes, targets=nodes, method="ch"), before)


_GRID_SCRIPT = """
import numpy as np
from scipy.sparse.csgraph import dijkstra
from corridor_geo.network import Network
from corridor_geo.routing import travel_times
k = 12
idx = np.arange(k * k).reshape(k, k)
a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
src, tgt = np.concatenate([a, b[::-1]]), np.concatenate([b, a[::-1]])
tt = np.random.default_rng(3).uniform(5, 15, len(src))
net = Network.from_edges(osmid=np.arange(k * k), lon=114 + (np.arange(k * k) % k) * 1e-3,
                         lat=22.5 + (np.arange(k * k) // k) * 1e-3, source=src, target=tgt,
                         length_m=np.full(len(src), 100.0), travel_time_s=tt,
                         highway=["primary"] * len(src), name=[""] * len(src))
nodes = np.arange(k * k)
got = travel_times(net, nodes, targets=nodes, method="ch")
ref = dijkstra(net.csr("travel_time_s"), directed=True, indices=nodes)
assert np.allclose(got, ref, rtol=0, atol=1e-3), np.abs(got - ref).max()
print("ok")
"""


@pytest.mark.parametrize("garbled", ["order", "tail", "head"])
def test_garbled_topology_cache_is_rebuilt_not_loaded(tmp_path, garbled):
    # RoutingKit trusts the indices it loads: a cache file garbled in place (same size,
    # other bytes: a bad disk block, another version's format) was a segmentation fault
    import os
    import subprocess

    env = {**os.environ, "CORRIDOR_GEO_CACHE_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(sys.path)}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", _GRID_SCRIPT], env=env, text=True,
                              capture_output=True, check=False)

    first = run()
    assert (first.returncode, first.stdout) == (0, "ok\n"), first.stderr
    (entry,) = (tmp_path / "cch").iterdir()
    target = entry / garbled
    target.write_bytes(np.random.default_rng(0).bytes(target.stat().st_size))
    second = run()
    assert (second.returncode, second.stdout) == (0, "ok\n"), second.stderr[-500:]
    assert _ch._saved_intact(entry, entry.name)  # replaced by a sound copy
    third = run()  # ... which later processes load
    assert (third.returncode, third.stdout) == (0, "ok\n"), third.stderr[-500:]


@pytest.mark.slow
@pytest.mark.shared
def test_ch_equals_dijkstra_on_tiled_graph():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from _tiled import base_network, build_tiled_network

    shared_data_path(EXTRACTS[0])
    net = build_tiled_network(min_nodes=60_000, base=base_network())
    origins = _pick(net, 50, 7, main_only=True)
    targets = _pick(net, 120, 8)
    got = travel_times(net, origins, targets=targets, method="ch", on_island="ignore")
    ref = _dense(net, origins)[:, targets]
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    fin = np.isfinite(ref)
    assert np.abs(got[fin] - ref[fin]).max() < 1e-3
    assert np.array_equal(got, _rounded_truth(net, origins, targets, _ch.quantum(net)))
