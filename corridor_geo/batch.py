"""Many scenarios at once on Dask distributed.

:func:`run_batch` runs scenario files on a Dask cluster, each into its own folder
``OUT/<file stem>/`` (the same outputs as ``corridor-geo run``), and writes
``OUT/batch.json`` with the status of every scenario.

* **Cluster.** A :class:`distributed.LocalCluster` of worker processes on 127.0.0.1
  (one thread each, ``n_workers`` from the CPU count) by default; any running Dask
  scheduler when ``scheduler="tcp://host:8786"`` is given (the workers then need the
  scenario files and the output folder at the same paths).
* **Network once per worker.** Tasks carry only two paths. Each worker process loads
  the base street network once, through a worker plugin that warms the per-process
  cache of :func:`corridor_geo.scenario.street_network`; every scenario that worker
  runs reuses it. Nothing large is pickled per task. A task's key names its output
  folder, so batches sharing a scheduler never share a run.
* **Resumable.** A scenario whose folder holds a ``summary.json`` with the same inputs
  hash (scenario file, referenced files, bundled data, package version) is skipped
  without starting a cluster for it.
* **Isolated failures.** A failing scenario is reported (one line) and the others go
  on. A failed run leaves no half-written folder (outputs are written atomically).

Examples
--------
>>> from corridor_geo.batch import run_batch
>>> report = run_batch(["scenarios/baseline_2025.yaml",
...                     "scenarios/guangshen_peak_congestion.yaml"],
...                    out="out/batch", n_workers=2)  # doctest: +SKIP
>>> [(i.name, i.status) for i in report.items]  # doctest: +SKIP
[('baseline_2025', 'done'), ('guangshen_peak_congestion', 'done')]
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from distributed.diagnostics.plugin import WorkerPlugin

from corridor_geo import settings
from corridor_geo._io import (
    MANIFEST,
    atomic_write_json,
    file_sha256,
    read_manifest,
    write_manifest,
)
from corridor_geo.errors import CorridorGeoError, OutputDirError

__all__ = ["BatchItem", "BatchReport", "SchedulerError", "run_batch"]

Status = Literal["done", "skipped", "failed"]

#: Seconds to wait for a remote scheduler before giving up.
CONNECT_TIMEOUT_S = 10.0


class SchedulerError(CorridorGeoError):
    """The Dask scheduler cannot be reached or the cluster cannot start."""


@dataclass(frozen=True)
class BatchItem:
    """Outcome of one scenario in a batch.

    Attributes
    ----------
    path
        The scenario file as given.
    name
        Its folder name below the batch output (the file stem).
    status
        ``"done"``, ``"skipped"`` (outputs up to date) or ``"failed"``.
    message
        One line: the error of a failed scenario, otherwise empty.
    inputs_hash
        The scenario's inputs hash (empty when the file could not be read).
    """

    path: str
    name: str
    status: Status
    message: str = ""
    inputs_hash: str = ""


@dataclass(frozen=True)
class BatchReport:
    """All outcomes of :func:`run_batch`, in the order the scenarios were given."""

    items: tuple[BatchItem, ...]
    out: Path

    @property
    def ok(self) -> bool:
        """True when no scenario failed."""
        return all(i.status != "failed" for i in self.items)

    def count(self, status: Status) -> int:
        """Return the number of scenarios with *status*."""
        return sum(i.status == status for i in self.items)

    def _summary(self) -> list[tuple[str, object]]:
        failed = [i.name for i in self.items if i.status == "failed"]
        return [("scenarios", len(self.items)), ("done", self.count("done")),
                ("skipped", self.count("skipped")), ("failed", self.count("failed")),
                ("failed scenarios", failed or None), ("out", str(self.out))]

    def __repr__(self) -> str:
        from corridor_geo._repr import summary_text

        return summary_text("BatchReport", self._summary())

    def _repr_html_(self) -> str:
        from corridor_geo._repr import summary_html

        return summary_html("BatchReport", self._summary(),
                            note="items: one BatchItem per scenario; to_dict(): batch.json")

    def to_dict(self) -> dict[str, Any]:
        """Return the content of ``batch.json`` (no timestamps; paths as given)."""
        return {
            "scenarios": [asdict(i) for i in self.items],
            "counts": {s: self.count(s) for s in ("done", "skipped", "failed")},
        }


class _PreloadNetwork(WorkerPlugin):
    """Worker plugin: load each base street network once when a worker starts.

    The plugin object holds only ``(source, as_of)`` pairs (the scenarios' network sources
    and, for the default network, their years); the network itself is loaded inside the
    worker process into the process-level cache of ``scenario.street_network``.
    """

    name = "corridor_geo-preload-network"
    idempotent = True

    def __init__(self, sources: Sequence[tuple[str, int | None]]) -> None:
        self.sources = tuple(sorted(set(sources), key=lambda s: (s[0], s[1] or 0)))

    def setup(self, worker: Any) -> None:
        settings.progress = False
        from corridor_geo import scenario

        for source, as_of in self.sources:
            try:
                scenario.street_network(source, as_of=as_of)
            except Exception:  # a broken source fails the scenarios, reported one by one
                scenario.logger.exception("could not preload network %s", source)

    def teardown(self, worker: Any) -> None:
        return None


def _run_one(path: str, out: str) -> tuple[str, str, str]:
    """Task: run one scenario into *out*; never raises (returns status, message, hash)."""
    settings.progress = False
    from corridor_geo.scenario import run_scenario

    try:
        result = run_scenario(path, out=out, progress=False)
    except CorridorGeoError as exc:
        return "failed", " ".join(str(exc).split()), ""
    except Exception as exc:
        msg = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())
        return "failed", msg, ""
    return "done", "", str(result.summary.get("inputs_hash", ""))


def _folder_key(stem: str) -> str:
    """Return the name under which a case-insensitive file system stores *stem*.

    ``A`` and ``a`` are one folder on macOS and Windows, as are the NFC and NFD
    spellings of ``é`` on macOS; casefolding the NFC form errs on the side of calling
    two names the same.
    """
    return unicodedata.normalize("NFC", stem).casefold()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)  # also a.yaml and A.yaml on a case-insensitive disk
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_stems(paths: Sequence[Path], out_dir: Path) -> None:
    """Refuse scenario files whose output folders (``OUT/<stem>``) would clash.

    Stems are compared ignoring case (:func:`_folder_key`): ``A.yaml`` and ``a.yaml``
    would write ``OUT/A`` and ``OUT/a``, one folder on macOS and Windows, where the two
    runs would overwrite each other's files.
    """
    own = {_folder_key(n): n for n in ("batch.json", MANIFEST)}
    seen: dict[str, Path] = {}
    for p in paths:
        key = _folder_key(p.stem)
        if key in own:
            same = "" if p.stem == own[key] else \
                f" (the same as {own[key]} on a case-insensitive file system)"
            raise CorridorGeoError(
                f"batch: {p} would write its outputs to the folder {out_dir / p.stem}, a name "
                f"the batch uses for its own files{same}; rename the scenario file")
        if key in seen and _same_file(seen[key], p):
            raise CorridorGeoError(f"batch: {p} is given twice; list each scenario once")
        if key in seen and seen[key].stem == p.stem:
            raise CorridorGeoError(
                f"batch: {seen[key]} and {p} would both write to {out_dir / p.stem}; "
                "rename one of them")
        if key in seen:
            raise CorridorGeoError(
                f"batch: {seen[key]} and {p} would write to {out_dir / seen[key].stem} and "
                f"{out_dir / p.stem}, one folder on a case-insensitive file system (macOS, "
                "Windows); rename one of them")
        seen[key] = p


def _up_to_date(folder: Path, inputs_hash: str) -> bool:
    """Whether *folder* holds a complete run of these inputs, as that run wrote it.

    The summary must name *inputs_hash*, and every file the folder's manifest lists must
    still be there with the SHA-256 recorded when it was written: a deleted or edited
    output makes the scenario run again instead of being skipped.
    """
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (isinstance(summary, dict) and summary.get("inputs_hash") == inputs_hash):
        return False
    man = read_manifest(folder)
    files = man.get("files") if man is not None and man.get("complete") is True else None
    if not isinstance(files, dict) or "summary.json" not in files:
        return False
    for rel, sha in files.items():
        p = folder / str(rel)
        if ".." in Path(str(rel)).parts or not p.is_file() or file_sha256(p) != sha:
            return False
    return True


#: The dask setting that makes nannies start workers with glibc's eager memory trimming.
_MALLOC_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def _connect(scheduler: str | None, n_workers: int) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                f"cannot connect to the Dask scheduler {scheduler!r}: {exc}") from None
    import dask

    try:
        # distributed's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which
        # makes glibc return freed memory to the OS at every large free: a scenario run,
        # full of short-lived numpy/shapely arrays, took 1.2-1.7x longer in a worker than
        # in this process (system time 1 -> 10 s for six runs; benchmarks/bench_batch.py).
        # The setting is dropped for the local cluster (None unsets it; the numpy thread
        # limits stay); a batch's workers live for one batch, so memory is returned when
        # they exit.
        with dask.config.set({_MALLOC_TRIM_KEY: None}):
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address="127.0.0.1:0", scheduler_port=0,
            )
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"cannot start a local Dask cluster: {exc}") from None
    return Client(cluster), cluster


#: Seconds a local worker process gets to exit after a batch before it is killed.
WORKER_EXIT_TIMEOUT_S = 60.0


def _close_local_cluster(cluster: Any) -> None:
    """Close a LocalCluster without killing its worker processes.

    ``LocalCluster.close`` stops each nanny with distributed's default of 5 s, of which
    the worker process gets 4 s to exit before it is killed with "Worker process still
    alive after 4.0 seconds, killing". A worker that ran scenarios holds the street
    networks and the transit model; tearing its interpreter down takes longer than that
    on a busy machine (measured: the main thread still finalizing after 2.5 s, no Python
    frame left). So the nannies are closed first, concurrently, each with
    :data:`WORKER_EXIT_TIMEOUT_S`; then the cluster (scheduler) closes as usual.
    """
    import asyncio

    async def close_nannies() -> None:
        await asyncio.gather(*(w.close(timeout=WORKER_EXIT_TIMEOUT_S)
                               for w in list(cluster.workers.values())))

    try:
        cluster.sync(close_nannies)
    finally:
        cluster.close()


def run_batch(
    scenarios: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    scheduler: str | None = None,
    n_workers: int | None = None,
    force: bool = False,
    progress: bool | None = None,
    overwrite: bool = False,
    _task: Callable[[str, str], tuple[str, str, str]] = _run_one,
) -> BatchReport:
    """Run scenario files on Dask distributed, each into ``out/<file stem>/``.

    Parameters
    ----------
    scenarios
        Scenario YAML files. Their stems must differ, and not only in case (they name
        the output folders).
    out
        Batch output folder; gets one folder per scenario and ``batch.json``.
    scheduler
        Address of a running Dask scheduler (``"tcp://10.0.0.5:8786"``); ``None``
        starts a :class:`distributed.LocalCluster` on 127.0.0.1 for the batch.
    n_workers
        Worker processes of the local cluster (default: the CPU count, at most one per
        scenario to run).
    force
        Run even the scenarios whose outputs are up to date.
    progress
        Show a tqdm bar over the scenarios (default ``settings.progress``).
    overwrite
        Write into a non-empty *out* that holds files corridor_geo did not write
        (they are kept; see :func:`corridor_geo.scenario.check_out_dir`).

    Returns
    -------
    BatchReport
        One :class:`BatchItem` per scenario (``done``, ``skipped`` or ``failed``).

    Raises
    ------
    OutputDirError
        *out* cannot be written (nothing runs).
    SchedulerError
        The scheduler cannot be reached or the local cluster cannot start.
    CorridorGeoError
        Two scenario files with the same stem, or stems that differ only in case (one
        folder on macOS and Windows), or a stem that names one of the batch's own files
        (``batch.json``, the manifest), in any case.

    Examples
    --------
    >>> rep = run_batch(["scenarios/baseline_2025.yaml"], out="out/b")  # doctest: +SKIP
    >>> rep.count("done"), rep.count("skipped")  # doctest: +SKIP
    (1, 0)
    """
    from corridor_geo._progress import tqdm_bar
    from corridor_geo.scenario import Scenario, check_out_dir

    out_dir = check_out_dir(out, overwrite=overwrite)
    prev = read_manifest(out_dir) if out_dir.is_dir() else None
    if (out_dir / "batch.json").exists() and "batch.json" not in (prev or {}).get("entries", ()):
        raise OutputDirError(f"output directory {out_dir}: batch.json exists and corridor_geo did "
                             "not write it; move it away or choose another folder")
    paths = [Path(p) for p in scenarios]
    if not paths:
        raise CorridorGeoError("batch: no scenario files given")
    _check_stems(paths, out_dir)
    if n_workers is not None and n_workers < 1:
        raise CorridorGeoError(f"batch: n_workers must be >= 1, got {n_workers}")

    results: dict[int, BatchItem] = {}
    # index, path, hash, network source, its year (default network only)
    todo: list[tuple[int, Path, str, str, int | None]] = []
    for k, p in enumerate(paths):
        try:
            s = Scenario.from_yaml(p)
            h = s.inputs_hash()
        except CorridorGeoError as exc:
            results[k] = BatchItem(str(p), p.stem, "failed", " ".join(str(exc).split()))
            continue
        if not force and _up_to_date(out_dir / p.stem, h):
            results[k] = BatchItem(str(p), p.stem, "skipped", "", h)
            continue
        src = "default" if s.network == "default" else str(s.referenced_files()[-1])
        todo.append((k, p, h, src, s.as_of if src == "default" else None))

    show = settings.progress if progress is None else progress
    owned = ["batch.json", *(p.stem for p in paths)]
    if todo:
        out_dir.mkdir(parents=True, exist_ok=True)
        # the manifest first, so that a killed batch leaves a folder later runs accept
        write_manifest(out_dir, entries=_owned(out_dir, owned), complete=False)
        workers = n_workers or max(1, min(os.cpu_count() or 1, len(todo)))
        client, cluster = _connect(scheduler, workers)
        try:
            client.register_plugin(_PreloadNetwork([(src, y) for *_, src, y in todo]))
            futures = {}
            for k, p, h, _src, _y in todo:
                target = str((out_dir / p.stem).absolute())
                fut = client.submit(_task, str(p.absolute()), target,
                                    key=_task_key(p.stem, h, target), pure=False)
                futures[fut] = (k, p, h)
            from distributed import as_completed

            with tqdm_bar(total=len(futures), show=show, desc="scenarios",
                          unit="scenario") as bar:
                for fut in as_completed(futures):
                    k, p, h = futures[fut]
                    try:
                        status, message, got_hash = fut.result()
                    except Exception as exc:  # worker died, task lost, ...
                        status, message, got_hash = (
                            "failed", " ".join(f"{type(exc).__name__}: {exc}".split()), "")
                    results[k] = BatchItem(str(p), p.stem, status,
                                           message, got_hash or h)
                    bar.set_postfix_str(f"{p.stem}: {status}")
                    bar.update()
        finally:
            client.close()
            if cluster is not None:
                _close_local_cluster(cluster)
    report = BatchReport(items=tuple(results[k] for k in range(len(paths))), out=out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / "batch.json", report.to_dict())
    write_manifest(out_dir, entries=_owned(out_dir, owned))
    return report


def _task_key(stem: str, inputs_hash: str, target: str) -> str:
    """Dask key of the task running a scenario into *target*.

    A scheduler runs one task per key and hands its result to every client asking for
    that key: the key names the output folder too, so that two batches sharing a
    scheduler (the same scenario into different ``--out`` folders) each get their run.
    """
    where = hashlib.sha256(target.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"corridor_geo-scenario-{stem}-{inputs_hash[:12]}-{where}"


def _owned(out_dir: Path, names: Sequence[str]) -> list[str]:
    """Entries of the batch folder corridor_geo wrote: previous manifest + this batch's."""
    old = read_manifest(out_dir)
    mine = {n for n in names
            if n == "batch.json" or not (out_dir / n).exists()
            or read_manifest(out_dir / n) is not None}  # never claim a user's folder
    return sorted(mine | set(old["entries"] if old else ()))
