"""Private I/O helpers: atomic writes, content hashing, deterministic JSON.

Everything corridor_geo writes goes through these so that a crash never leaves a
half-written file: data are written to a temporary file in the target directory and
moved into place with :func:`os.replace`, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

__all__ = [
    "MANIFEST",
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_output_dir",
    "dumps_json",
    "file_kind",
    "file_sha256",
    "open_regular",
    "output_dir",
    "read_input",
    "read_manifest",
    "read_vector",
    "sweep_temporaries",
    "write_manifest",
]

#: Name of the manifest corridor_geo writes into every output folder. A folder holding
#: it was written by corridor_geo; the files it lists may be replaced by a later run.
MANIFEST = ".corridor_geo-manifest.json"
#: Marker in the names of temporary folders (``<marker><host>-<pid>-<random>``).
_TMP_MARK = ".corridor_geo-tmp-"
#: Temporary folders of another host (or of unknown liveness) are swept after this.
_STALE_S = 24 * 3600


def _why_not_written(exc: OSError, folder: Path) -> str:
    """Say why a file could not be created or written in *folder*."""
    e = exc.errno
    if e in (errno.EACCES, errno.EPERM):
        return f"permission denied in {folder}"
    if e == errno.EROFS:
        return f"{folder} is on a read-only file system"
    if e in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the device (or the disk quota is used up)"
    if e == errno.EFBIG:
        return "the file is larger than the file system allows"
    if e == errno.ENAMETOOLONG:
        return "the name is too long"
    if e == errno.EISDIR:
        return "it is a folder; expected a file name"
    if e in (errno.ENOENT, errno.ENOTDIR):
        if not folder.is_dir():
            return f"no such folder: {folder}"
        return f"{folder} does not accept new files ({exc.strerror})"
    return f"{exc.strerror or exc}"


def _cannot_write(target: Path, exc: OSError, folder: Path | None = None) -> Exception:
    """Return the :class:`~corridor_geo.errors.OutputDirError` for a failed write."""
    from corridor_geo.errors import OutputDirError

    return OutputDirError(f"cannot write {target}: "
                          f"{_why_not_written(exc, folder or target.absolute().parent)}")


def _cannot_create(target: Path, folder: Path, exc: OSError) -> Exception:
    """Return the OutputDirError for a folder of *target* that cannot be created."""
    from corridor_geo.errors import OutputDirError

    reason = ("a file is in its way" if exc.errno in (errno.EEXIST, errno.ENOTDIR)
              else exc.strerror or str(exc))
    return OutputDirError(f"cannot write {target}: cannot create the folder {folder} ({reason})")


def _concerns(exc: BaseException, *paths: Path) -> bool:
    """Whether *exc* is an OSError about one of *paths* (or a full or read-only disk)."""
    if not isinstance(exc, OSError):
        return False
    if exc.filename is None:  # a failed write() or fsync() names no file
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)
    names = [os.fsdecode(p) for p in paths]
    for f in (exc.filename, exc.filename2):
        if isinstance(f, str | bytes | os.PathLike):
            name = os.fsdecode(f)
            if any(name == n or name.startswith(n + os.sep) for n in names):
                return True
    return False


def _file_target(target: str | os.PathLike[str]) -> Path:
    """*target* as a Path naming a file to write, or OutputDirError (empty, a folder)."""
    from corridor_geo.errors import OutputDirError

    text = os.fspath(target)
    path = Path(text)
    if text == "" or path.name in ("", ".", "..") or text.endswith(("/", os.sep)):
        raise OutputDirError(
            f"cannot write {text!r}: the output path is empty or names a folder; expected a "
            "file name")
    if path.is_dir():
        raise OutputDirError(f"cannot write {path}: it is a folder; expected a file name")
    return path


def _make_parent(target: Path) -> Path:
    """Create the folder of *target* (and its parents); OutputDirError naming *target*."""
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_create(target, parent, exc) from None
    return parent


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to *target*; move it onto *target* on success.

    Use for writers that want a file name (``GeoDataFrame.to_file``, ``np.savez``).
    On an exception the temporary file is removed and *target* is untouched.

    Raises
    ------
    OutputDirError
        *target* is empty or a folder, or cannot be written (no such folder, permission
        denied, read-only or full file system): the message names *target* and the
        reason, never the temporary file.
    """
    target = _file_target(target)
    parent = _make_parent(target)
    # named like the temporary folders (host and pid), so that the file a killed run
    # left is swept by the next write of the same target
    sweep_temporaries(target.parent, prefix=f".{target.name}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}{_TMP_MARK}{_tag()}-",
                                   suffix=suffix or target.suffix, dir=target.parent)
    except OSError as exc:
        raise _cannot_write(target, exc, parent) from None
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # let the writer create it (some drivers refuse existing files)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if _concerns(exc, tmp_path, target):
            raise _cannot_write(target, cast(OSError, exc), parent) from exc
        raise


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write *data* to *target* atomically and return the path."""
    with atomic_path(target) as tmp, tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(target)


def atomic_write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 *text* to *target* atomically (newlines kept as given)."""
    return atomic_write_bytes(target, text.encode("utf-8"))


def dumps_json(obj: Any) -> str:
    """Serialise *obj* deterministically (sorted keys, fixed separators, UTF-8 kept)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False) + "\n"


def atomic_write_json(target: str | os.PathLike[str], obj: Any) -> Path:
    """Write *obj* as deterministic JSON to *target* atomically."""
    return atomic_write_text(target, dumps_json(obj))


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces *target* as a whole.

    A failed run leaves no half-written output directory: the temporary directory
    is removed and an existing *target* is kept unchanged. A folder that cannot be
    created raises :class:`~corridor_geo.errors.OutputDirError` naming *target*.
    """
    target = Path(target)
    parent = _make_parent(target)
    sweep_temporaries(target.parent, prefix=f".{target.name}")
    try:
        tmp = _mkdtemp(target.parent, f".{target.name}")
    except OSError as exc:
        raise _cannot_write(target, exc, parent) from None
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}{_TMP_MARK}{_tag()}-old")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if _concerns(exc, tmp):
            raise _cannot_write(target, cast(OSError, exc), parent) from exc
        raise


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a regular file, read in chunks.

    A FIFO, device or socket (``/dev/zero``, a named pipe) is refused with
    :class:`~corridor_geo.errors.DataValidationError` instead of blocking or reading
    forever; a missing or unreadable file raises ``OSError`` as before.
    """
    h = hashlib.sha256()
    with open_regular(path) as fh:
        fh_: IO[bytes] = fh
        while block := fh_.read(chunk):
            h.update(block)
    return h.hexdigest()


#: Fixed timestamp written into GeoPackage metadata (``gpkg_contents.last_change``), so
#: the same data give the same bytes.
GPKG_DATE = "2000-01-01T00:00:00.000Z"


def write_gpkg(gdf: Any, target: str | os.PathLike[str], *, layer: str) -> Path:
    """Write a GeoDataFrame to a byte-reproducible GeoPackage, atomically.

    The one GeoPackage writer of the package (scenario outputs, the ``catchments``
    command): GDAL's ``OGR_CURRENT_DATE`` is pinned to :data:`GPKG_DATE` for the write.

    Examples
    --------
    >>> write_gpkg(gdf, "out/catchments.gpkg", layer="catchments")  # doctest: +SKIP
    """
    import pyogrio

    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
    try:
        with atomic_path(target) as tmp:
            gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    return Path(target)
# ---------------------------------------------------------------------------- output folders
# Rules (docs/robustness.md): corridor_geo never deletes what it did not write.
# * A new folder is built beside the target and renamed into place: atomic as a whole.
# * A folder corridor_geo wrote (it holds MANIFEST and nothing the manifest does not
#   list) is replaced as a whole by an atomic exchange of the two folders.
# * Any other non-empty folder is refused (OutputDirError, exit 2) unless
#   ``overwrite=True`` (``--overwrite``): then the new files are moved in one by one,
#   replacing only files listed in the previous manifest; a file of the same name that
#   corridor_geo did not write is never replaced (refused before anything moves).
# * Temporary folders carry host and pid in their names; those of dead processes are
#   removed by the next run (and always on failure).


def _tag() -> str:
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"
    return f"{host}-{os.getpid()}"


def _mkdtemp(parent: Path, prefix: str) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}{_TMP_MARK}{_tag()}-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; give it normal permissions
    return tmp


def _pid_alive(pid: int) -> bool:
    """Whether process *pid* still runs; a zombie (killed, not yet reaped) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    try:  # Linux: a killed child whose parent has not waited for it answers kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:][:1] != "Z"


def sweep_temporaries(folder: str | os.PathLike[str], *, prefix: str = "") -> list[Path]:
    """Remove temporary folders and files left in *folder* by killed corridor_geo processes.

    Only entries named ``<prefix>.corridor_geo-tmp-<host>-<pid>-…`` are considered;
    one is removed when its process (on this host) no longer runs, or — for another
    host — when it is older than a day. Symbolic links are never followed.

    Returns
    -------
    list of Path
        The folders removed.
    """
    folder = Path(folder)
    removed: list[Path] = []
    here = _tag().rsplit("-", 1)[0]
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        # with a prefix: that target's temporaries only; without: any target's temporaries
        # in this folder (e.g. a batch's per-scenario folders left by a killed worker)
        at = entry.name.find(_TMP_MARK)
        if at < 0 or (prefix and at != len(prefix)) or not entry.name.startswith(prefix):
            continue
        is_dir = entry.is_dir(follow_symlinks=False)
        if not (is_dir or entry.is_file(follow_symlinks=False)):
            continue  # a link or a FIFO of that name is not ours
        m = re.match(r"(.+)-(\d+)-", entry.name[at + len(_TMP_MARK):])
        if m and m.group(1) == here:
            stale = not _pid_alive(int(m.group(2)))
        else:
            try:
                stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > _STALE_S
            except OSError:
                stale = False
        if stale:
            if is_dir:
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()
            removed.append(Path(entry.path))
    return removed


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the manifest of an output folder written by corridor_geo, or ``None``."""
    path = Path(folder) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > 64 << 20:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("entries"), list)
            and all(isinstance(e, str) for e in data["entries"])):
        return None
    return data


def _manifest(folder: Path, *, entries: list[str] | None = None,
              complete: bool = True) -> dict[str, Any]:
    """Manifest of *folder*: its top-level entries and the SHA-256 of every file."""
    names = sorted(e.name for e in folder.iterdir()
                   if e.name != MANIFEST and _TMP_MARK not in e.name) if entries is None \
        else sorted(set(entries))
    files: dict[str, str] = {}
    for name in names:
        p = folder / name
        if p.is_file() and not p.is_symlink():
            files[name] = file_sha256(p)
        elif p.is_dir() and not p.is_symlink():
            for q in sorted(p.rglob("*")):
                rel = q.relative_to(folder).as_posix()
                if q.is_file() and not q.is_symlink() and _TMP_MARK not in rel:
                    files[rel] = file_sha256(q)
    return {"written_by": "corridor_geo", "manifest_version": 1, "complete": complete,
            "entries": names, "files": files}


def write_manifest(folder: str | os.PathLike[str], *, entries: list[str] | None = None,
                   complete: bool = True) -> Path:
    """Write *folder*'s manifest (all its entries, or the given top-level *entries*)."""
    folder = Path(folder)
    return atomic_write_json(folder / MANIFEST,
                             _manifest(folder, entries=entries, complete=complete))


def _foreign(folder: Path) -> tuple[list[str], bool]:
    """Entries of *folder* corridor_geo did not write, and whether it has a manifest."""
    man = read_manifest(folder)
    ours = set(man["entries"]) if man else set()
    foreign = sorted(e.name for e in folder.iterdir()
                     if e.name != MANIFEST and not e.name.startswith(_TMP_MARK)
                     and e.name not in ours)
    return foreign, man is not None


def check_output_dir(target: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that *target* may be written as an output folder; return it as a Path.

    Parameters
    ----------
    target
        The output folder.
    overwrite
        Allow a non-empty folder corridor_geo did not write (or that holds files it
        did not write): the new files are added, replacing only the files listed in
        the folder's previous manifest; other files are kept.

    Raises
    ------
    OutputDirError
        *target* is a file; its nearest existing parent is not a writable folder; or it
        is a non-empty folder holding files corridor_geo did not write and
        *overwrite* is false.

    Examples
    --------
    >>> check_output_dir("out/run").name
    'run'
    """
    from corridor_geo.errors import OutputDirError

    p = Path(target).expanduser()
    if p.is_symlink() and not p.is_dir():
        raise OutputDirError(f"output directory {p}: is a broken symbolic link")
    if p.exists() and not p.is_dir():
        raise OutputDirError(f"output directory {p}: exists and is not a directory")
    probe_in = p if p.is_dir() else p.absolute().parent
    while not probe_in.exists():
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise OutputDirError(f"output directory {p}: {probe_in} is not a directory")
    try:  # a real probe: os.access says yes to root and knows nothing of read-only mounts
        probe = tempfile.mkdtemp(prefix=".corridor_geo-probe-", dir=probe_in)
    except OSError as exc:
        raise OutputDirError(f"output directory {p}: cannot write in {probe_in} "
                             f"({exc.strerror or exc})") from None
    Path(probe).rmdir()
    if p.is_dir():
        sweep_temporaries(p)
        foreign, has_manifest = _foreign(p)
        if foreign and not overwrite:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                               if len(foreign) > 5 else "")
            what = ("holds files corridor_geo did not write" if has_manifest
                    else "is not empty and was not written by corridor_geo")
            raise OutputDirError(
                f"output directory {p} {what} ({shown}); nothing was written. Choose a new "
                f"or empty folder, or use --overwrite (overwrite=True) to write into it: "
                f"only files listed in its {MANIFEST} are replaced, other files are kept")
    return p


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(rc == 0)


def _holds_cwd(p: Path) -> bool:
    try:
        cwd = Path.cwd().resolve()
        return cwd == p.resolve() or p.resolve() in cwd.parents
    except OSError:
        return True


@contextlib.contextmanager
def output_dir(target: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    r"""Yield a temporary folder to write outputs into; commit it to *target* on success.

    See the rules above :func:`check_output_dir`. On an exception the temporary folder
    is removed and *target* is unchanged. The committed folder holds :data:`MANIFEST`.

    Examples
    --------
    >>> with output_dir("out/demo") as tmp:  # doctest: +SKIP
    ...     (tmp / "a.csv").write_text("x\n")
    """
    p = check_output_dir(target, overwrite=overwrite)
    if p.is_symlink():
        # a link to a folder is followed: the outputs go into the folder it names and the
        # link is kept (the exchange below would swap the link itself away)
        p = p.resolve()
    whole = not p.exists()
    if not whole:
        foreign, has_manifest = _foreign(p)
        whole = has_manifest and not foreign and not _holds_cwd(p)
    tmp: Path | None = None
    if whole:
        p.absolute().parent.mkdir(parents=True, exist_ok=True)
        sweep_temporaries(p.absolute().parent, prefix=f".{p.name}")
        try:
            tmp = _mkdtemp(p.absolute().parent, f".{p.name}")
        except OSError:
            if not p.exists():
                raise
            whole = False
    if tmp is None:
        tmp = _mkdtemp(p, "")
    try:
        yield tmp
        write_manifest(tmp)
        if whole and not p.exists():
            tmp.rename(p)
        elif whole and _exchange(tmp, p):
            shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous output
        elif whole:
            old = p.absolute().parent / f".{p.name}{_TMP_MARK}{_tag()}-old"
            os.replace(p, old)
            os.replace(tmp, p)
            shutil.rmtree(old, ignore_errors=True)
        else:
            _commit_in_place(tmp, p)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _commit_in_place(tmp: Path, target: Path) -> None:
    """Move the entries of *tmp* into *target*, replacing only manifest-listed entries."""
    from corridor_geo.errors import OutputDirError

    old = read_manifest(target)
    old_entries = set(old["entries"]) if old else set()
    new_entries = sorted(e.name for e in tmp.iterdir() if e.name != MANIFEST)
    clash = [n for n in new_entries
             if (target / n).exists() or (target / n).is_symlink()
             if n not in old_entries]
    if clash:
        raise OutputDirError(
            f"output directory {target}: {', '.join(clash)} exist(s) and corridor_geo did not "
            "write them; nothing was replaced. Move them away or choose another folder")
    # a kill from here on leaves a folder whose manifest lists every entry in play
    write_manifest(target, entries=sorted(old_entries | set(new_entries)), complete=False)
    for name in new_entries:
        dst = target / name
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst)
        os.replace(tmp / name, dst)
    for name in sorted(old_entries - set(new_entries)):
        dst = target / name
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                dst.unlink()
    write_manifest(target, entries=new_entries)


# ---------------------------------------------------------------------------- inputs
#: Largest input file (CSV, GeoJSON, ...) read whole into memory, in bytes.
MAX_INPUT_BYTES = 512 << 20


def file_kind(mode: int) -> str:
    """Say what a file of mode *mode* is, for messages (``"a FIFO (named pipe)"``)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str], *, error: type[Exception] | None = None,
                  what: str = "file") -> Iterator[IO[bytes]]:
    """Open *path* for reading only if it is a regular file (never blocks on a FIFO).

    The type is checked before opening and again on the open descriptor, which is opened
    without blocking, so a FIFO or device swapped in between cannot hang the reader.
    Not-regular files raise *error* (default ``DataValidationError``) with ``path=``;
    ``OSError`` (missing, permission denied) propagates.
    """
    from corridor_geo.errors import DataValidationError

    err = error or DataValidationError
    p = Path(path).expanduser()
    mode = p.stat().st_mode
    if not stat.S_ISREG(mode):
        raise err(f"is {file_kind(mode)}; expected a regular {what}", path=p)  # type: ignore[call-arg]
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise err(f"is {file_kind(mode)}; expected a regular {what}", path=p)  # type: ignore[call-arg]
        yield fh


def check_input_file(path: str | os.PathLike[str], *, error: type[Exception] | None = None,
                     max_bytes: int = MAX_INPUT_BYTES, what: str = "input file") -> Path:
    """Check that *path* is a regular file of at most *max_bytes*, without opening it.

    Devices (``/dev/zero``, ``/dev/stdin`` on a terminal or pipe), FIFOs and sockets are
    refused: reading them could hang or never end. The error is *error* (default
    :class:`~corridor_geo.errors.DataValidationError`) with ``path=``, saying what the
    path is (missing, a broken symbolic link, a directory, a FIFO, a device, too big).
    """
    from corridor_geo.errors import DataValidationError

    err = error or DataValidationError
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except FileNotFoundError:
        if p.is_symlink():
            raise err("is a broken symbolic link (its target does not exist); expected a "  # type: ignore[call-arg]
                      f"regular {what}", path=p) from None
        raise err("file not found", path=p) from None  # type: ignore[call-arg]
    except OSError as exc:
        raise err(f"cannot read the file: {exc.strerror or exc}", path=p) from None  # type: ignore[call-arg]
    if stat.S_ISDIR(st.st_mode):
        raise err(f"is a directory, expected a {what}", path=p)  # type: ignore[call-arg]
    if not stat.S_ISREG(st.st_mode):
        raise err(f"is {file_kind(st.st_mode)}; expected a regular {what}", path=p)  # type: ignore[call-arg]
    if st.st_size > max_bytes:
        raise err(f"file is {st.st_size} bytes; a {what} may have at most "  # type: ignore[call-arg]
                  f"{max_bytes} bytes", path=p)
    return p


def read_input(path: str | os.PathLike[str], *, error: type[Exception] | None = None,
               max_bytes: int = MAX_INPUT_BYTES, what: str = "input file") -> bytes:
    """Read a regular file of at most *max_bytes* bytes (see :func:`check_input_file`).

    The file is opened without blocking and read with a byte limit, so a file that
    changes type or grows after the check still cannot hang or exhaust memory.

    Examples
    --------
    >>> read_input("/dev/zero")  # doctest: +SKIP
    Traceback (most recent call last):
    corridor_geo.errors.DataValidationError: /dev/zero: is a device; expected a regular ...
    """
    from corridor_geo.errors import DataValidationError

    err = error or DataValidationError
    p = check_input_file(path, error=error, max_bytes=max_bytes, what=what)
    try:
        with open_regular(p, error=error, what=what) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise err(f"cannot read the file: {exc.strerror or exc}", path=p) from None  # type: ignore[call-arg]
    if len(data) > max_bytes:
        raise err(f"file has more than {max_bytes} bytes; a {what} may have at most "  # type: ignore[call-arg]
                  f"{max_bytes} bytes", path=p)
    return data


def read_vector(path: str | os.PathLike[str], *, error: type[Exception] | None = None,
                what: str = "vector file (GeoPackage, GeoJSON, ...)", **kwargs: Any) -> Any:
    """Read a vector file with geopandas/pyogrio after :func:`check_input_file`.

    Any reader failure becomes *error* (default ``DataValidationError``) naming the file.

    Examples
    --------
    >>> read_vector("/etc/passwd")  # doctest: +SKIP
    Traceback (most recent call last):
    corridor_geo.errors.DataValidationError: /etc/passwd: cannot read as a vector file ...
    """
    import geopandas as gpd

    from corridor_geo.errors import DataValidationError

    err = error or DataValidationError
    p = check_input_file(path, error=error, what=what)
    try:
        return gpd.read_file(p, engine="pyogrio", **kwargs)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        msg = " ".join(str(exc).split())[:300]
        raise err(f"cannot read as a {what}: {msg}", path=p) from None  # type: ignore[call-arg]
