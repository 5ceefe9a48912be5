"""Tests of :mod:`corridor_geo._io`: output folders never lose a user's file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corridor_geo._io import (
    MANIFEST,
    check_output_dir,
    output_dir,
    read_manifest,
    sweep_temporaries,
)
from corridor_geo.cli import main
from corridor_geo.errors import OutputDirError

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"name": "t", "as_of": 2025, "origins": ["core_dg_songshan_lake"], "modes": ["drive"],
         "bands": [15], "outputs": {"map": False, "report": False}}


def _cli(*args: str):
    return CliRunner().invoke(main, ["--quiet", *args], catch_exceptions=False)


def _one_line_exit_2(res, contains: str = "") -> str:
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("corridor-geo: error: "), res.stderr
    assert "Traceback" not in res.stderr
    assert contains in res.stderr, res.stderr
    return res.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ the API


def test_new_folder_is_written_whole_with_a_manifest(tmp_path):
    out = tmp_path / "a" / "b"
    with output_dir(out) as tmp:
        assert not out.exists()  # nothing visible until the end
        (tmp / "x.csv").write_text("1\n")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "y.txt").write_text("2")
    man = read_manifest(out)
    assert man is not None
    assert man["entries"] == ["sub", "x.csv"]
    assert man["complete"]
    assert set(man["files"]) == {"x.csv", "sub/y.txt"}
    # only the parent's own entries: no temporary folder left
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]


def test_own_folder_is_replaced_as_a_whole(tmp_path):
    out = tmp_path / "o"
    with output_dir(out) as tmp:
        (tmp / "old.csv").write_text("old")
        (tmp / "keep.csv").write_text("v1")
    with output_dir(out) as tmp:
        (tmp / "keep.csv").write_text("v2")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "keep.csv"]
    assert (out / "keep.csv").read_text() == "v2"


def test_foreign_folder_refused_then_overwrite_keeps_user_files(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputDirError, match=r"not written by corridor_geo \(thesis.docx\)"
                       r".*--overwrite"):
        check_output_dir(out)
    with pytest.raises(OutputDirError), output_dir(out):
        pass
    assert _files(out) == {"thesis.docx": b"precious"}
    with output_dir(out, overwrite=True) as tmp:
        (tmp / "r.csv").write_text("1")
    assert (out / "thesis.docx").read_bytes() == b"precious"
    assert read_manifest(out)["entries"] == ["r.csv"]
    # a second run with overwrite replaces r.csv (listed) and still keeps the user file
    with output_dir(out, overwrite=True) as tmp:
        (tmp / "s.csv").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "s.csv", "thesis.docx"]
    # and without --overwrite it is still refused: the folder holds a user file
    with pytest.raises(OutputDirError, match="holds files corridor_geo did not write"):
        check_output_dir(out)


def test_overwrite_never_replaces_a_same_named_user_file(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "map.html").write_text("mine")
    with pytest.raises(OutputDirError, match=r"map\.html exist"), \
            output_dir(out, overwrite=True) as tmp:
        (tmp / "map.html").write_text("ours")
    assert (out / "map.html").read_text() == "mine"
    assert [p.name for p in out.iterdir()] == ["map.html"]


def test_failure_leaves_target_unchanged_and_no_temporaries(tmp_path):
    out = tmp_path / "o"
    with output_dir(out) as tmp:
        (tmp / "a.csv").write_text("v1")
    before = _files(out)
    def fail() -> None:
        with output_dir(out) as tmp:
            (tmp / "a.csv").write_text("half")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fail()
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_temporaries_of_dead_processes_are_swept(tmp_path):
    # a process that is certainly dead: a child that has exited
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    pid = int(child.stdout)
    from corridor_geo._io import _tag

    host = _tag().rsplit("-", 1)[0]
    dead = tmp_path / f".o.corridor_geo-tmp-{host}-{pid}-abc"
    alive = tmp_path / f".o.corridor_geo-tmp-{host}-{os.getpid()}-abc"
    other = tmp_path / ".o.something-else"
    for d in (dead, alive, other):
        d.mkdir()
        (d / "f").write_text("x")
    with output_dir(tmp_path / "o") as tmp:
        (tmp / "a").write_text("1")
    assert not dead.exists()
    assert alive.exists()
    assert other.exists()
    inside = tmp_path / "o" / f".corridor_geo-tmp-{host}-{pid}-zz"
    inside.mkdir()
    assert sweep_temporaries(tmp_path / "o") == [inside]


def test_temporary_files_of_dead_processes_are_swept(tmp_path):
    # a run killed inside atomic_path (SIGKILL: no cleanup) left its temporary file;
    # the next write of the same target removes it, a live writer's file is kept
    from corridor_geo._io import _tag, atomic_write_text

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    host = _tag().rsplit("-", 1)[0]
    dead = tmp_path / f".out.csv.corridor_geo-tmp-{host}-{int(child.stdout)}-k1.csv"
    alive = tmp_path / f".out.csv.corridor_geo-tmp-{host}-{os.getpid()}-k2.csv"
    other_target = tmp_path / f".b.csv.corridor_geo-tmp-{host}-{int(child.stdout)}-k3.csv"
    mine = tmp_path / ".out.csv.bak"
    for f in (dead, alive, other_target, mine):
        f.write_text("half")
    atomic_write_text(tmp_path / "out.csv", "a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out.csv", alive.name, other_target.name, mine.name])
    # and a killed write really leaves a file of that name (checked in a child process)
    code = ("import os, sys; from corridor_geo._io import atomic_path\n"
            "with atomic_path(sys.argv[1]) as t:\n"
            "    t.write_text('half'); os._exit(9)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "k.csv")], check=False)
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".k.csv")]
    assert len(left) == 1
    assert not (tmp_path / "k.csv").exists()
    atomic_write_text(tmp_path / "k.csv", "b\n")
    assert not left[0].exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_unreaped_process_counts_as_dead(tmp_path):
    # a killed batch worker that its parent has not waited for yet is a zombie: it
    # answers kill(pid, 0) but will never finish its temporary folder
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, left unreaped
        os.kill(child.pid, 0)  # still answers: the state the sweep must see through
        from corridor_geo._io import _tag

        host = _tag().rsplit("-", 1)[0]
        left = tmp_path / f".corridor_geo-tmp-{host}-{child.pid}-zz"
        left.mkdir()
        assert sweep_temporaries(tmp_path) == [left]
    finally:
        child.wait()


def test_out_dot_is_refused_or_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputDirError, match="--overwrite"):
        check_output_dir(".")
    with output_dir(".", overwrite=True) as tmp:
        (tmp / "a.csv").write_text("1")
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "a.csv").read_text() == "1"
    assert Path.cwd() == tmp_path  # the working folder was not swapped away
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with output_dir(".") as tmp:
        (tmp / "b.csv").write_text("2")
    assert sorted(p.name for p in empty.iterdir()) == [MANIFEST, "b.csv"]


def test_symlinked_output_folder_is_followed_and_kept(tmp_path):
    # out -> real: every run writes into real/ and the link stays a link (the second run
    # used to swap the link itself away: out became a new folder, real/ kept the first
    # outputs and a link named .out.corridor_geo-tmp-... was left beside it for good)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real, target_is_directory=True)
    for version in ("v1", "v2", "v3"):
        with output_dir(tmp_path / "out") as tmp:
            (tmp / "a.csv").write_text(version)
        assert (tmp_path / "out").is_symlink()
        assert (tmp_path / "out").readlink() == real
        assert (real / "a.csv").read_text() == version
        assert sorted(p.name for p in real.iterdir()) == [MANIFEST, "a.csv"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "real"]


def test_cli_rerun_into_a_symlinked_folder_writes_through_it(tmp_path):
    real = tmp_path / "big_disk" / "demo"
    real.mkdir(parents=True)
    link = tmp_path / "demo"
    link.symlink_to(real, target_is_directory=True)
    assert _cli("demo", "--out", str(link)).exit_code == 0
    first = _files(real)
    assert "map.html" in first
    (real / "map.html").write_text("stale")  # a second run must replace it in real/
    assert _cli("demo", "--out", str(link)).exit_code == 0
    assert link.is_symlink()
    assert _files(real) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big_disk", "demo"]


def test_corrupt_manifest_means_not_ours(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "x").write_text("mine")
    (out / MANIFEST).write_text("{not json")
    with pytest.raises(OutputDirError):
        check_output_dir(out)


# ------------------------------------------------------------------ every CLI command

def _commands(tmp_path: Path, out: Path) -> dict[str, list[str]]:
    s = tmp_path / "s.yaml"
    s.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    return {
        "demo": ["demo", "--out", str(out)],
        "catchments": ["catchments", "--origins", "core_dg_songshan_lake", "--bands", "10",
                       "--out", str(out)],
        "network build": ["network", "build", "--out", str(out)],
        "run": ["run", str(s), "--out", str(out)],
        "compare": ["compare", str(s), str(s), "--out", str(out)],
        "batch": ["batch", str(s), "--out", str(out)],
        "distances": ["distances", "--out", str(out / "mine.csv")],
        "export-gtfs": ["export-gtfs", str(out)],
    }


@pytest.mark.parametrize("command", ["demo", "catchments", "network build", "run", "compare",
                                     "batch", "distances", "export-gtfs"])
def test_user_file_in_the_target_of_every_command_survives(tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.csv").write_text("precious\n")
    (out / "sub").mkdir()
    (out / "sub" / "deep.txt").write_text("also mine")
    args = _commands(tmp_path, out)[command]
    before = sorted(p.name for p in tmp_path.iterdir())
    err = _one_line_exit_2(_cli(*args), contains="--overwrite")
    assert "nothing was written" in err
    assert _files(out) == {"mine.csv": b"precious\n", "sub/deep.txt": b"also mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", ["demo", "network build", "run", "distances",
                                     "export-gtfs"])
def test_overwrite_adds_outputs_and_keeps_user_files(tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("precious\n")
    args = _commands(tmp_path, out)[command]
    if command == "distances":
        (out / "mine.csv").write_text("precious\n")
    res = _cli(*args, "--overwrite")
    assert res.exit_code == 0, res.stderr
    assert (out / "notes.txt").read_text() == "precious\n"
    if command == "distances":  # the named file, replaced on request
        assert (out / "mine.csv").read_text().startswith("from_id")
    else:
        man = json.loads((out / MANIFEST).read_text())
        assert "notes.txt" not in man["entries"]
        assert man["entries"]
        # a rerun with --overwrite replaces only the listed files
        res = _cli(*args, "--overwrite")
        assert res.exit_code == 0, res.stderr
        assert (out / "notes.txt").read_text() == "precious\n"


def test_rerun_into_own_folder_needs_no_flag(tmp_path):
    out = tmp_path / "demo"
    assert _cli("demo", "--out", str(out)).exit_code == 0
    first = _files(out)
    assert _cli("demo", "--out", str(out)).exit_code == 0
    assert _files(out) == first  # byte-identical, manifest included
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_demo_out_dot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    _one_line_exit_2(_cli("demo", "--out", "."), contains="--overwrite")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert _cli("demo", "--out", ".", "--overwrite").exit_code == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "map.html").exists()


# ------------------------------------------------------------------ single output files

def test_unwritable_output_file_names_the_users_path_and_reason(tmp_path, monkeypatch):
    import errno
    import tempfile

    from corridor_geo._io import atomic_dir, atomic_write_text

    if Path("/proc/self").is_dir():  # Linux: /proc takes no new files
        with pytest.raises(OutputDirError) as info:
            atomic_write_text("/proc/x.csv", "a\n")
        assert str(info.value) == ("cannot write /proc/x.csv: /proc does not accept new files "
                                   "(No such file or directory)")
        with (pytest.raises(OutputDirError, match=r"^cannot write /proc/cache: /proc does not"),
              atomic_dir("/proc/cache") as tmp):
            (tmp / "a").write_text("1")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(OutputDirError, match=r"cannot write .*plain/x\.csv: cannot create the "
                                             r"folder .*plain \(a file is in its way\)"):
        atomic_write_text(tmp_path / "plain" / "x.csv", "a\n")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(OutputDirError, match=r"dir\.csv: it is a folder; expected a file name"):
        atomic_write_text(tmp_path / "dir.csv", "a\n")
    with pytest.raises(OutputDirError, match="the output path is empty"):
        atomic_write_text("", "a\n")

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".x.csv.abc"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputDirError) as info:
        atomic_write_text(tmp_path / "x.csv", "a\n")
    assert str(info.value) == f"cannot write {tmp_path / 'x.csv'}: permission denied in {tmp_path}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.csv", "plain"]


def test_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    import errno

    from corridor_geo._io import atomic_write_text

    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputDirError, match=rf"^cannot write {target}: no space left"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("args", [["distances", "--out", "/proc/x.csv"],
                                  ["export-gtfs", "/proc/x.zip"]])
def test_cli_unwritable_output_names_the_given_path(args):
    err = _one_line_exit_2(_cli(*args), contains=f"cannot write {args[-1]}: /proc does not")
    assert "/proc/.x." not in err  # never the temporary name


def test_hashing_a_fifo_is_refused_without_hanging(tmp_path):
    import signal

    from corridor_geo._io import file_sha256
    from corridor_geo.errors import DataValidationError

    fifo = tmp_path / "pipe.osm"
    os.mkfifo(fifo)

    def alarm(*_: object) -> None:
        raise TimeoutError("hung on a FIFO")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(30)
    try:
        with pytest.raises(DataValidationError, match=r"pipe\.osm: is a FIFO \(named pipe\); "
                                                      r"expected a regular file"):
            file_sha256(fifo)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    p = tmp_path / "a.txt"
    p.write_bytes(b"abc")
    assert file_sha256(p) == (  # SHA-256("abc"), FIPS 180-2 appendix B.1
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_broken_symlink_input_says_so(tmp_path):
    from corridor_geo._io import check_input_file
    from corridor_geo.errors import DataValidationError

    link = tmp_path / "nodes.csv"
    link.symlink_to(tmp_path / "gone.csv")
    with pytest.raises(DataValidationError, match=r"nodes\.csv: is a broken symbolic link"):
        check_input_file(link)
    with pytest.raises(DataValidationError, match=r"missing\.csv: file not found"):
        check_input_file(tmp_path / "missing.csv")
