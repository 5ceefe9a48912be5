"""Private I/O helpers: atomic writes, content hashing, deterministic JSON.

Everything corridor_geo writes goes through these so that a crash never leaves a
half-written file: data are written to a temporary file in the target directory and
moved into place with :func:`os.replace`, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "dumps_json",
    "file_sha256",
]


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to *target*; move it onto *target* on success.

    Use for writers that want a file name (``GeoDataFrame.to_file``, ``np.savez``).
    On an exception the temporary file is removed and *target* is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix,
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # let the writer create it (some drivers refuse existing files)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
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
    is removed and an existing *target* is kept unchanged.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; give it normal permissions
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
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
