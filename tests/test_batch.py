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
        ".corridor_geo-manifest.json", "catchments.gpkg", "matrix.csv", "run.log", "summary.json"]
    assert sorted(p.name for p in out.iterdir()) == [
        ".corridor_geo-manifest.json", "batch.json", "good"]
    summary = json.loads((out / "good" / "summary.json").read_text())
    assert summary["inputs_hash"] == Scenario.from_yaml(good).inputs_hash()
    batch_json = json.loads((out / "batch.json").read_text())
    assert batch_json["counts"] == {"done": 1, "failed": 2, "skipped": 0}

    # second call: the finished one is skipped, the failed ones are retried (and fail again)
    rep2 = run_batch([good, unknown, broken], out=out, scheduler=cluster.scheduler_address,
                     progress=False)
    assert _status(rep2) == {"good": "skipped", "unknown": "failed", "broken": "failed"}

    # an output deleted or edited since: not up to date, run again and restored
    matrix = (out / "good" / "matrix.csv").read_bytes()
    for damage in (lambda f: f.unlink(), lambda f: f.write_bytes(matrix + b"edited\n")):
        damage(out / "good" / "matrix.csv")
        rep_d = run_batch([good], out=out, scheduler=cluster.scheduler_address, progress=False)
        assert _status(rep_d) == {"good": "done"}
        assert (out / "good" / "matrix.csv").read_bytes() == matrix

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
            from corridor_geo.scenario import streets

            info = streets._cached_street.cache_info()
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


def test_concurrent_batches_of_one_scenario_each_write_their_folder(tmp_path, cluster):
    # two users share a scheduler and run the same scenario into their own --out: the task
    # keys were equal, so the scheduler ran it once (into the first folder) and the second
    # batch reported "done" for a folder that was never written
    import threading

    scenario = _small(tmp_path, "same")
    go = str(tmp_path / "go")

    def task(path: str, out: str) -> tuple[str, str, str]:  # waits until both submitted
        import time
        from pathlib import Path

        for _ in range(6000):
            if Path(go).exists():
                break
            time.sleep(0.05)
        Path(out).mkdir(parents=True)
        (Path(out) / "written_by.txt").write_text(out, encoding="utf-8")
        return "done", "", ""

    reports: dict[str, BatchReport] = {}

    def batch(name: str) -> None:
        reports[name] = run_batch([scenario], out=tmp_path / name, progress=False,
                                  scheduler=cluster.scheduler_address, _task=task)

    threads = [threading.Thread(target=batch, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    try:
        def wanted() -> int:  # how many clients are waiting for a scenario task
            tasks = list(cluster.scheduler.tasks.values())
            return sum(len(ts.who_wants or ()) for ts in tasks
                       if str(ts.key).startswith("corridor_geo-scenario-"))

        _wait_for(lambda: wanted() >= 2, 120, "both batches to submit their task")
    finally:
        Path(go).touch()
        for t in threads:
            t.join()
    for name in ("alice", "bob"):
        assert _status(reports[name]) == {"same": "done"}
        folder = tmp_path / name / "same"
        assert (folder / "written_by.txt").read_text() == str(folder)


def test_duplicate_stems_and_bad_out_dir(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    pa, pb = _small(a, "same"), _small(b, "same")
    with pytest.raises(CorridorGeoError, match="would both write to"):
        run_batch([pa, pb], out=tmp_path / "out")
    with pytest.raises(CorridorGeoError, match=r"same\.yaml is given twice; list each scen"):
        run_batch([pa, a / "." / "same.yaml"], out=tmp_path / "out")
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputDirError):
        run_batch([pa], out=f / "out")
    with pytest.raises(CorridorGeoError, match="no scenario files"):
        run_batch([], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_stems_differing_only_in_case_are_refused(tmp_path):
    """``A.yaml`` and ``a.yaml`` write ``OUT/A`` and ``OUT/a``: one folder on a
    case-insensitive file system (macOS, Windows), where the two runs overwrote each
    other's files; the batch ran them. Refused up front, naming both files."""
    import re

    a, b = tmp_path / "x", tmp_path / "y"
    a.mkdir()
    b.mkdir()
    out = tmp_path / "out"
    for left, right in (("A", "a"), ("Plan_2030", "plan_2030"), ("Café", "CAFÉ")):
        pa, pb = _small(a, left), _small(b, right)
        with pytest.raises(CorridorGeoError, match=re.escape(
                f"batch: {pa} and {pb} would write to {out / left} and {out / right}, one "
                "folder on a case-insensitive file system")):
            run_batch([pa, pb], out=out, progress=False)
    assert not out.exists()
    # the same name spelled once in NFC and once in NFD is one folder on macOS too
    import unicodedata

    nfc, nfd = (unicodedata.normalize(f, "Café") for f in ("NFC", "NFD"))
    with pytest.raises(CorridorGeoError, match="one folder on a case-insensitive"):
        run_batch([_small(a, nfc), _small(b, nfd)], out=out, progress=False)
    # one file under two case spellings (a hard link stands in for the case-insensitive
    # disk, where x/Same.yaml opens x/same.yaml): given twice
    same = _small(a, "same")
    (b / "Same.yaml").hardlink_to(same)
    with pytest.raises(CorridorGeoError, match=r"Same\.yaml is given twice"):
        run_batch([same, b / "Same.yaml"], out=out, progress=False)
    # the batch's own files in another case: OUT/Batch.json/ is OUT/batch.json there
    with pytest.raises(CorridorGeoError, match=re.escape(
            "a name the batch uses for its own files (the same as batch.json on a "
            "case-insensitive file system)")):
        run_batch([_small(a, "Batch.JSON")], out=out, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("stem", ["batch.json", ".corridor_geo-manifest.json"])
def test_scenario_named_like_the_batchs_own_files_is_refused(tmp_path, stem):
    # batch.json.yaml ran into OUT/batch.json/, and then OUT/batch.json could not be
    # written (a folder is in its way): every run of that batch ended in an error
    p = _small(tmp_path, stem)
    out = tmp_path / "out"
    import re

    with pytest.raises(CorridorGeoError, match=re.escape(f"{p} would write its outputs to "
                                                         f"the folder {out / stem}")):
        run_batch([p], out=out, progress=False)
    assert not out.exists()


def test_local_workers_start_without_eager_malloc_trimming(monkeypatch):
    """distributed's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536 (its
    pre-spawn-environ); with it glibc maps and unmaps every array above 128 KiB and a
    scenario ran 1.2-1.7x slower in a worker than in the calling process. The local
    cluster of run_batch drops that one setting and keeps the numpy thread limits."""
    import os

    import dask

    from corridor_geo.batch import _close_local_cluster, _connect

    # an earlier LocalCluster in this process (the module's fixture) left it in os.environ
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    client, local = _connect(None, 1)
    try:
        env = client.run(lambda: {k: os.environ.get(k) for k in
                                  ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")})
    finally:
        client.close()
        _close_local_cluster(local)
    assert list(env.values()) == [{"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}]
    # dask's own default is untouched outside the batch's cluster
    assert dask.config.get("distributed.nanny.pre-spawn-environ")[
        "MALLOC_TRIM_THRESHOLD_"] == 65536


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


# ------------------------------------------------------------------ a real cluster
def _wait_for(pred, timeout: float, what: str):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _same_outputs(a: Path, b: Path) -> list[str]:
    """Files that differ between two scenario folders (run.log holds timestamps)."""
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    def content(p: Path) -> object:
        if p.name == ".corridor_geo-manifest.json":  # lists run.log's hash: compare the rest
            import json

            man = json.loads(p.read_text(encoding="utf-8"))
            man.get("files", {}).pop("run.log", None)
            return man
        return p.read_bytes()

    return [n for n in names if n != "run.log" and content(a / n) != content(b / n)]


@pytest.mark.slow
def test_examples_on_separate_scheduler_and_workers_survive_a_killed_worker(tmp_path):
    """`dask scheduler` + two `dask worker` processes on 127.0.0.1; `corridor-geo batch
    --scheduler` on the example scenarios; one worker killed mid-batch."""
    import os
    import signal
    import subprocess
    import sys

    from distributed import Client

    from corridor_geo.scenario import run_scenario

    src = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", src)
    paths = sorted(src.glob("*.yaml"))
    # the reference: each scenario run locally, in this process
    for p in paths:
        run_scenario(p, out=tmp_path / "local" / p.stem, progress=False)

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    sched_file = tmp_path / "scheduler.json"
    procs: list[subprocess.Popen] = []

    def spawn(*args: str, log: str) -> subprocess.Popen:
        with open(tmp_path / log, "wb") as fh:  # the child keeps its own handle
            p = subprocess.Popen([sys.executable, "-m", "dask", *args], env=env, stdout=fh,
                                 stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    try:
        spawn("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(sched_file), log="scheduler.log")
        _wait_for(sched_file.exists, 60, "the scheduler file")
        address = json.loads(_wait_for(lambda: sched_file.read_text() or None, 30,
                                       "scheduler address"))["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for k in range(2):  # no nanny: killing the process kills the worker for good
            spawn("worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                  "--no-nanny", "--no-dashboard", "--name", f"w{k}", log=f"worker{k}.log")
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            pids = client.run(os.getpid)
            assert set(pids.values()).isdisjoint({os.getpid()})  # separate processes
            batch = subprocess.Popen(
                [sys.executable, "-c", "from corridor_geo.cli import main; main()", "batch",
                 *map(str, paths),
                 "--out", str(tmp_path / "cluster"), "--scheduler", address],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            procs.append(batch)

            def busy_worker():
                running = {w: ts for w, ts in client.processing().items()
                           if any(str(t).startswith("corridor_geo-scenario-") for t in ts)}
                return sorted(running)[0] if len(running) == 2 else None

            victim = _wait_for(busy_worker, 300, "both workers running a scenario")
            os.kill(pids[victim], signal.SIGKILL)
            out, _ = batch.communicate(timeout=1200)
            text = out.decode()
            assert batch.returncode == 0, text
            assert "3 done, 0 skipped, 0 failed" in text
            assert len(client.scheduler_info()["workers"]) == 1  # the victim stayed dead
        for p in paths:
            assert _same_outputs(tmp_path / "local" / p.stem, tmp_path / "cluster" / p.stem) == []
        report = json.loads((tmp_path / "cluster" / "batch.json").read_text())
        assert report["counts"] == {"done": 3, "failed": 0, "skipped": 0}
        # resumes: a second call against the surviving worker skips the finished scenarios
        rep = run_batch(paths, out=tmp_path / "cluster", scheduler=address, progress=False)
        assert _status(rep) == {p.stem: "skipped" for p in paths}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
