"""Tests of corridor_geo.batch on a real Dask LocalCluster (2 worker processes, 127.0.0.1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corridor_geo.batch import BatchReport, SchedulerError, run_batch
from corridor_geo.errors import CorridorGeoError
from corridor_geo.scenario import OutputDirError, Scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))

# a small, fast scenario (drive only, one band, two origins)
SMALL = """\
name: {name}
as_of: 2025
origins: [core_dg_songshan_lake, core_sz_hitech_zone]
modes: [drive]
bands: [20]
outputs: {{map: false, report: false}}
"""


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as c:
        yield c


def _small(folder: Path, name: str, text: str | None = None) -> Path:
    p = folder / f"{name}.yaml"
    p.write_text(text if text is not None else SMALL.format(name=name), encoding="utf-8")
    return p


def _status(report: BatchReport) -> dict[str, str]:
    return {i.name: i.status for i in report.items}


def test_failures_are_isolated_and_reruns_skip(tmp_path, cluster):
    src = tmp_path / "in"
    src.mkdir()
    good = _small(src, "good")
    unknown = _small(src, "unknown", SMALL.format(name="unknown").replace(
        "core_sz_hitech_zone", "core_sz_hitech_zon"))
    broken = _small(src, "broken", "name: [unclosed\n")
    out = tmp_path / "out"
    rep = run_batch([good, unknown, broken], out=out, scheduler=cluster.scheduler_address,
                    progress=False)
    assert _status(rep) == {"good": "done", "unknown": "failed", "broken": "failed"}
    assert not rep.ok
    msgs = {i.name: i.message for i in rep.items}
    assert "origins[1]: unknown platform, node or station 'core_sz_hitech_zon'" in msgs["unknown"]
    assert "core_sz_hitech_zone" in msgs["unknown"]  # close match offered
    assert "invalid YAML" in msgs["broken"]
    assert all("\n" not in m for m in msgs.values())
    # the good one is complete, the failed ones left nothing behind
    assert sorted(p.name for p in (out / "good").iterdir()) == [
        "catchments.gpkg", "matrix.csv", "run.log", "summary.json"]
    assert sorted(p.name for p in out.iterdir()) == ["batch.json", "good"]
    summary = json.loads((out / "good" / "summary.json").read_text())
    assert summary["inputs_hash"] == Scenario.from_yaml(good).inputs_hash()
    batch_json = json.loads((out / "batch.json").read_text())
    assert batch_json["counts"] == {"done": 1, "failed": 2, "skipped": 0}

    # second call: the finished one is skipped, the failed ones are retried (and fail again)
    rep2 = run_batch([good, unknown, broken], out=out, scheduler=cluster.scheduler_address,
                     progress=False)
    assert _status(rep2) == {"good": "skipped", "unknown": "failed", "broken": "failed"}

    # a changed input is run again; force re-runs everything
    good.write_text(SMALL.format(name="good").replace("bands: [20]", "bands: [25]"))
    rep3 = run_batch([good], out=out, scheduler=cluster.scheduler_address, progress=False)
    assert _status(rep3) == {"good": "done"}
    assert json.loads((out / "good" / "summary.json").read_text())["scenario"]["bands"] == [25.0]
    rep4 = run_batch([good], out=out, scheduler=cluster.scheduler_address, progress=False,
                     force=True)
    assert _status(rep4) == {"good": "done"}


def test_network_is_loaded_once_per_worker(tmp_path, cluster):
    from distributed import Client

    src = tmp_path / "in"
    src.mkdir()
    paths = [_small(src, f"s{k}") for k in range(4)]
    with Client(cluster) as client:
        def cache_info():
            from corridor_geo import scenario

            info = scenario._cached_street.cache_info()
            return info.misses, info.hits

        before = client.run(cache_info)
        rep = run_batch(paths, out=tmp_path / "out", scheduler=cluster.scheduler_address,
                        progress=False)
        assert rep.count("done") == 4
        after = client.run(cache_info)
    assert len(after) == 2
    for worker, (misses, hits) in after.items():
        assert misses <= 1, worker  # loaded at most once in each worker process ...
        assert hits >= before[worker][1]  # ... and reused from the cache afterwards
    assert sum(h for _, h in after.values()) > sum(h for _, h in before.values())


def test_duplicate_stems_and_bad_out_dir(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    pa, pb = _small(a, "same"), _small(b, "same")
    with pytest.raises(CorridorGeoError, match="would both write to"):
        run_batch([pa, pb], out=tmp_path / "out")
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputDirError):
        run_batch([pa], out=f / "out")
    with pytest.raises(CorridorGeoError, match="no scenario files"):
        run_batch([], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler(tmp_path, monkeypatch):
    monkeypatch.setattr("corridor_geo.batch.CONNECT_TIMEOUT_S", 1.0)
    p = _small(tmp_path, "s")
    with pytest.raises(SchedulerError, match="cannot connect to the Dask scheduler"):
        run_batch([p], out=tmp_path / "out", scheduler="tcp://127.0.0.1:1")


@pytest.mark.slow
def test_examples_on_default_local_cluster_then_all_skipped(tmp_path):
    # the acceptance run: the three example scenarios on a 2-worker LocalCluster
    src = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", src)
    paths = sorted(src.glob("*.yaml"))
    out = tmp_path / "batch"
    rep = run_batch(paths, out=out, n_workers=2, progress=False)
    assert _status(rep) == {p.stem: "done" for p in paths}, [i.message for i in rep.items]
    for p in paths:
        files = {f.name for f in (out / p.stem).iterdir()}
        assert {"map.html", "catchments.gpkg", "matrix.csv", "summary.json", "report.md",
                "run.log"} <= files
    rep2 = run_batch(paths, out=out, n_workers=2, progress=False)
    assert _status(rep2) == {p.stem: "skipped" for p in paths}
