"""The bundled default road network: file format, integrity check and reader.

``geodata/roads_default.npz`` holds the corridor's major-road graph (nodes and undirected
edges) extracted once from the PyPI package ``scgraph-data`` by
``scripts/build_default_network.py``; ``geodata/roads_default.json`` records its source
(package and version), licence, clip box, counts and SHA-256. At run time only numpy
reads it: ``scgraph``/``scgraph-data`` are needed by the build script alone.

The ``.npz`` is written byte-for-byte deterministically (:func:`bundle_bytes`: fixed zip
timestamps, sorted members, deflate), so rebuilding from the same source version gives
the same file and the same hash.

Arrays (all integer, so they are exact):

``lon_e3``, ``lat_e3`` (int32)
    node coordinates in thousandths of a degree (the source rounds to 0.001°, ~100 m);
``source_index`` (int32)
    the node's index in the source graph (kept as its id);
``u``, ``v`` (int32)
    undirected edges as node indices with ``u < v``, sorted;
``source_length_m`` (int32)
    the source graph's own edge length, rounded to metres (for reference; the runtime
    measures edges on the rounded coordinates).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor_geo import settings
from corridor_geo._io import atomic_write_bytes, atomic_write_text, file_sha256
from corridor_geo.errors import NetworkSourceError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "ARRAYS",
    "MANIFEST_FILE",
    "ROADS_FILE",
    "arrays_sha256",
    "bundle_bytes",
    "default_bbox",
    "effective_as_of",
    "local_links",
    "match_expressways",
    "open_legs",
    "opening_year",
    "read_drive_model",
    "read_expressways",
    "read_manifest",
    "read_openings",
    "read_roads",
    "typical_expressway_kmh",
]

#: Bundled road-network file and its manifest (in :func:`corridor_geo.settings.geodata_dir`).
ROADS_FILE = "roads_default.npz"
MANIFEST_FILE = "roads_default.json"
#: Arrays of the bundle and their dtypes.
ARRAYS: dict[str, str] = {"lon_e3": "int32", "lat_e3": "int32", "source_index": "int32",
                          "u": "int32", "v": "int32", "source_length_m": "int32"}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def bundle_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Serialise *arrays* as a deterministic ``.npz`` (readable by :func:`numpy.load`).

    Examples
    --------
    >>> b = bundle_bytes({"u": np.array([1], dtype=np.int32)})
    >>> b == bundle_bytes({"u": np.array([1], dtype=np.int32)})
    True
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    return buf.getvalue()


def bundle_main(argv: list[str] | None, *, description: str, default_out: Path,
                build: Callable[[], tuple[bytes, str]], npz_name: str,
                manifest_name: str) -> int:
    """Command line of the bundle scripts: build the bundle, or ``--check`` it.

    Shared by ``scripts/build_default_network.py`` and ``scripts/build_boundaries.py``:
    *build* returns the ``.npz`` bytes and the manifest text; both are written
    atomically, or compared byte for byte with the bundled files (exit 1 when they
    differ).

    Examples
    --------
    >>> bundle_main(["--check"], description="roads", default_out=Path("geodata"),
    ...             build=build, npz_name=ROADS_FILE,
    ...             manifest_name=MANIFEST_FILE)  # doctest: +SKIP
    0
    """
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--check", action="store_true",
                    help="compare with the bundled files instead of writing them")
    ap.add_argument("--out", type=Path, default=default_out,
                    help="output folder (default geodata/)")
    args = ap.parse_args(argv)
    data, text = build()
    npz, man = args.out / npz_name, args.out / manifest_name
    if args.check:
        same = (npz.is_file() and npz.read_bytes() == data and man.is_file()
                and man.read_text(encoding="utf-8") == text)
        print("bundle is up to date" if same else f"{npz} / {man} differ from the build")
        return 0 if same else 1
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(npz, data)
    atomic_write_text(man, text)
    print(f"wrote {npz} ({len(data):,} bytes) and {man}")
    return 0


def arrays_sha256(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the array contents (names, dtypes, shapes and little-endian bytes).

    Independent of the zip/deflate layer, so it compares a rebuild with the bundle even
    where another zlib would compress differently.

    Examples
    --------
    >>> len(arrays_sha256({"u": np.zeros(2, dtype=np.int32)}))
    64
    """
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _folder(geodata_dir: str | Path | None) -> Path:
    return Path(geodata_dir) if geodata_dir is not None else settings.geodata_dir()


def read_manifest(geodata_dir: str | Path | None = None) -> dict[str, Any]:
    """Return the manifest of the bundled road network (``roads_default.json``).

    Raises
    ------
    NetworkSourceError
        When the file is missing or not a JSON object.
    """
    path = _folder(geodata_dir) / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NetworkSourceError(f"cannot read the default-network manifest {path}: {exc}"
                                 ) from exc
    if not isinstance(data, dict):
        raise NetworkSourceError(f"{path}: expected a JSON object")
    return data


def default_bbox(geodata_dir: str | Path | None = None) -> tuple[float, float, float, float]:
    """Clip box (west, south, east, north) of the bundled network, from its manifest.

    It is also the fallback clip area when the corridor polygon is unavailable.

    Examples
    --------
    >>> default_bbox()
    (112.9, 22.4, 114.7, 23.95)
    """
    w, s, e, n = (float(x) for x in read_manifest(geodata_dir)["bbox"])
    return (w, s, e, n)


def read_roads(geodata_dir: str | Path | None = None, *, verify: bool = True
               ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read the bundled road network: ``(arrays, manifest)``.

    Parameters
    ----------
    geodata_dir
        Folder holding the files (default: the bundled ``geodata``).
    verify
        Check the file's SHA-256 against the manifest first.

    Raises
    ------
    NetworkSourceError
        Missing or corrupt file, a hash differing from the manifest, missing arrays.

    Examples
    --------
    >>> arrays, manifest = read_roads()
    >>> int(arrays["u"].max()) < len(arrays["lon_e3"])
    True
    """
    folder = _folder(geodata_dir)
    manifest = read_manifest(folder)
    path = folder / ROADS_FILE
    if not path.is_file():
        raise NetworkSourceError(f"the bundled default road network {path} is missing")
    if verify:
        got = file_sha256(path)
        if got != manifest.get("sha256"):
            raise NetworkSourceError(
                f"{path} has SHA-256 {got}, but {MANIFEST_FILE} records "
                f"{manifest.get('sha256')}; rebuild it with scripts/build_default_network.py"
            )
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise NetworkSourceError(f"{path} is not a readable .npz file: {exc}") from exc
    missing = [k for k in ARRAYS if k not in arrays]
    if missing:
        raise NetworkSourceError(f"{path} lacks the arrays {', '.join(missing)}")
    return arrays, manifest


# --------------------------------------------------------------------------- drive model data
EXPRESSWAYS_FILE = "expressways.csv"
WAYPOINTS_FILE = "expressway_waypoints.csv"
OPENINGS_FILE = "expressway_openings.csv"
DRIVE_MODEL_FILE = "drive_model.csv"

#: Parameters of ``drive_model.csv`` and their allowed ranges.
DRIVE_PARAMETERS: dict[str, tuple[float, float]] = {
    "arterial_kmh": (5.0, 120.0),
    "junction_delay_s": (0.0, 300.0),
    "detour_factor": (1.0, 2.0),
    "match_band_m": (100.0, 5000.0),
    "walk_kmh": (1.0, 10.0),
    "bike_kmh": (5.0, 40.0),
    "local_radius_m": (0.0, 3000.0),
    "local_kmh": (5.0, 60.0),
    "local_detour_factor": (1.0, 2.0),
}


#: ``opened`` of ``expressway_openings.csv``: empty, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
_DATE = r"^$|^(1[89]|20|21)[0-9]{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"


def _models() -> tuple[type[BaseModel], type[BaseModel], type[BaseModel], type[BaseModel]]:
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, StringConstraints

    text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    conf = Literal["high", "medium", "low"]

    class Expressway(BaseModel):
        model_config = ConfigDict(extra="forbid")
        id: ident
        name_en: text
        name_zh: text
        code: str = ""
        typical_kmh: Annotated[float, Field(gt=20.0, le=130.0)]
        posted_kmh: Annotated[float, Field(gt=20.0, le=130.0)] | None = None
        length_km: Annotated[float, Field(gt=0.0)] | None = None
        confidence: conf
        source: text
        notes: str = ""

    class Waypoint(BaseModel):
        model_config = ConfigDict(extra="forbid")
        expressway_id: ident
        seq: Annotated[int, Field(ge=1)]
        lon: Annotated[float, Field(ge=-180.0, le=180.0)]
        lat: Annotated[float, Field(ge=-90.0, le=90.0)]
        label: str = ""
        confidence: conf
        source: text
        access: Literal["yes", "no"] = "yes"

    class Param(BaseModel):
        model_config = ConfigDict(extra="forbid")
        parameter: text
        value: float
        unit: text
        basis: text

    class Opening(BaseModel):
        model_config = ConfigDict(extra="forbid")
        expressway_id: ident
        from_seq: Annotated[int, Field(ge=1)] | None = None
        to_seq: Annotated[int, Field(ge=1)] | None = None
        opened: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_DATE)] = ""
        confidence: Literal["high", "medium", "low", "unknown"]
        source: text
        notes: str = ""

    return Expressway, Waypoint, Param, Opening


def _none_empty(rec: dict[str, str]) -> dict[str, Any]:
    return {k: (None if v.strip() == "" and k in ("posted_kmh", "length_km") else v)
            for k, v in rec.items()}


def _read_table(path: Path, model: type[BaseModel], *,
                prepare: Any = None) -> list[tuple[int, Any]]:
    """Read a CSV through the one CSV reader and validate each row with the pydantic *model*.

    :func:`corridor_geo._csvio.read_csv_records` checks the encoding, the header (the
    model's fields: required ones present, no others) and every row's field count.
    Errors name the file, row (1-based, header excluded) and field.
    """
    from pydantic import ValidationError

    from corridor_geo._csvio import read_csv_records
    from corridor_geo.errors import DataValidationError

    fields = model.model_fields
    table = read_csv_records(
        path, required=[n for n, f in fields.items() if f.is_required()],
        optional=[n for n, f in fields.items() if not f.is_required()], strict=True,
        what=f"road table ({path.name})")
    out = []
    for row, rec in enumerate(table.records, 1):
        if prepare is not None:
            rec = prepare(rec)
        try:
            out.append((row, model.model_validate(rec)))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err.get("loc", ())) or None
            msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
            if "input" in err and not isinstance(err["input"], dict):
                msg += f"; got {err['input']!r}"
            raise DataValidationError(msg, path=path, row=row, field=field) from None
    return out


def read_expressways(geodata_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Expressways of the default network with their ordered waypoints (lon, lat).

    Reads ``expressways.csv`` and ``expressway_waypoints.csv`` (validated: a bad row
    raises :class:`~corridor_geo.errors.DataValidationError` naming file, row and field).
    A waypoint's optional ``access`` is ``yes`` (empty or no column: an interchange, hub
    or town where the road is entered) or ``no`` (a point the road passes without
    access, e.g. at sea or on a section whose crossing roads have no ramps: it shapes the
    line and the bridged length only); the first and last waypoints must have access.

    Examples
    --------
    >>> ex = read_expressways()
    >>> ex[0]["id"], len(ex[0]["waypoints"]) >= 2
    ('gs_expressway', True)
    """
    from corridor_geo.errors import DataValidationError

    expressway, waypoint, _, _ = _models()
    folder = _folder(geodata_dir)
    out: list[dict[str, Any]] = []
    path = folder / EXPRESSWAYS_FILE
    for i, row in _read_table(path, expressway, prepare=_none_empty):
        if any(r["id"] == row.id for r in out):
            raise DataValidationError(f"duplicate id {row.id!r}", path=path, row=i, field="id")
        out.append({**row.model_dump(), "waypoints": [], "waypoint_labels": [],
                    "waypoint_seqs": [], "waypoint_access": []})
    by_id = {r["id"]: r for r in out}
    wpath = folder / WAYPOINTS_FILE
    rows = []
    for i, w in _read_table(wpath, waypoint, prepare=_default_access):
        if w.expressway_id not in by_id:
            raise DataValidationError(f"unknown expressway {w.expressway_id!r}; expected an id "
                                      f"of {EXPRESSWAYS_FILE}", path=wpath, row=i,
                                      field="expressway_id")
        rows.append((w.expressway_id, w.seq, i, w))
    rows.sort(key=lambda t: (t[0], t[1]))
    for a, b in itertools.pairwise(rows):
        if a[0] == b[0] and a[1] == b[1]:
            raise DataValidationError(f"duplicate seq {b[1]} of {b[0]!r}", path=wpath, row=b[2],
                                      field="seq")
    for eid, _seq, _i, w in rows:
        by_id[eid]["waypoints"].append((w.lon, w.lat))
        by_id[eid]["waypoint_labels"].append(w.label)
        by_id[eid]["waypoint_seqs"].append(w.seq)
        by_id[eid]["waypoint_access"].append(w.access == "yes")
    for r in out:
        if len(r["waypoints"]) < 2:
            raise DataValidationError(f"expressway {r['id']!r} has {len(r['waypoints'])} "
                                      "waypoints; expected at least 2", path=wpath)
        if not (r["waypoint_access"][0] and r["waypoint_access"][-1]):
            raise DataValidationError(f"expressway {r['id']!r} ends at a waypoint with access "
                                      "'no'; expected its first and last waypoints to be "
                                      "points of access (an interchange, hub or town)",
                                      path=wpath, field="access")
    return out


def _default_access(rec: dict[str, str]) -> dict[str, Any]:
    # an empty access cell (or a file without the column) is a point of access
    return {k: v for k, v in rec.items() if not (k == "access" and v.strip() == "")}


def read_drive_model(geodata_dir: str | Path | None = None) -> dict[str, float]:
    """Return the fitted parameters of the default drive model (``drive_model.csv``).

    Examples
    --------
    >>> read_drive_model()["arterial_kmh"] > 0
    True
    """
    from corridor_geo.errors import DataValidationError

    _, _, param, _ = _models()
    path = _folder(geodata_dir) / DRIVE_MODEL_FILE
    out: dict[str, float] = {}
    for i, p in _read_table(path, param):
        if p.parameter not in DRIVE_PARAMETERS:
            raise DataValidationError(f"unknown parameter {p.parameter!r}; expected one of "
                                      f"{', '.join(DRIVE_PARAMETERS)}", path=path, row=i,
                                      field="parameter")
        lo, hi = DRIVE_PARAMETERS[p.parameter]
        if not lo <= p.value <= hi:
            raise DataValidationError(f"{p.parameter} = {p.value} is outside {lo}..{hi}",
                                      path=path, row=i, field="value")
        out[p.parameter] = float(p.value)
    missing = [k for k in DRIVE_PARAMETERS if k not in out]
    if missing:
        raise DataValidationError(f"missing parameters {', '.join(missing)}", path=path)
    return out


def opening_year(opened: str) -> int | None:
    """Year of an ``opened`` value of ``expressway_openings.csv``; ``None`` when empty.

    The value is ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; only the year is used, because
    a section counts as open in every year from the year it opened (the rule of the rail
    data, whose ``opened`` is a year: a line opened on 2017-12-28 is open in 2017).

    Examples
    --------
    >>> opening_year("2020-12-29"), opening_year("2017-01"), opening_year("")
    (2020, 2017, None)
    """
    text = opened.strip()
    return int(text[:4]) if text else None


def _none_empty_seq(rec: dict[str, str]) -> dict[str, Any]:
    return {k: (None if v.strip() == "" and k in ("from_seq", "to_seq") else v)
            for k, v in rec.items()}


def _section_legs(seqs: list[int], from_seq: int | None, to_seq: int | None) -> range:
    """Legs (leg k: waypoint k to k+1) of a section given by waypoint seqs.

    No seqs mean the whole road; *from_seq* after *to_seq* gives no leg.

    Examples
    --------
    >>> list(_section_legs([1, 2, 5, 7], 2, 7)), list(_section_legs([1, 2, 5], None, None))
    ([1, 2], [0, 1])
    """
    if from_seq is None or to_seq is None:
        return range(max(len(seqs) - 1, 0))
    return range(seqs.index(from_seq), seqs.index(to_seq))


def read_openings(geodata_dir: str | Path | None = None, *,
                  expressways: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Return the opening dates of expressways and sections (``expressway_openings.csv``).

    Each row names an expressway of ``expressways.csv`` and either the whole road (empty
    ``from_seq``/``to_seq``) or the section between two of its waypoints
    (``expressway_waypoints.csv`` seq numbers, ``from_seq < to_seq``). A leg between two
    waypoints is covered by at most one row. ``opened`` is empty exactly when
    ``confidence`` is ``unknown`` (no date found: the section is treated as open).

    Returns
    -------
    list of dict
        The rows with ``expressway_id, from_seq, to_seq, opened, year, confidence,
        source, notes`` (``year`` from :func:`opening_year`).

    Raises
    ------
    DataValidationError
        A bad row, naming file, row and field.

    Examples
    --------
    >>> rows = read_openings()
    >>> [r["year"] for r in rows if r["expressway_id"] == "nansha_bridge"]
    [2019]
    """
    from corridor_geo.errors import DataValidationError

    *_, opening = _models()
    folder = _folder(geodata_dir)
    roads = {r["id"]: r for r in (expressways if expressways is not None
                                  else read_expressways(folder))}
    path = folder / OPENINGS_FILE
    out: list[dict[str, Any]] = []
    covered: dict[str, set[int]] = {}
    for i, row in _read_table(path, opening, prepare=_none_empty_seq):
        road = roads.get(row.expressway_id)
        if road is None:
            raise DataValidationError(f"unknown expressway {row.expressway_id!r}; expected an "
                                      f"id of {EXPRESSWAYS_FILE}", path=path, row=i,
                                      field="expressway_id")
        seqs = list(road["waypoint_seqs"])
        if (row.from_seq is None) != (row.to_seq is None):
            raise DataValidationError("give both from_seq and to_seq (a section) or neither "
                                      "(the whole road)", path=path, row=i,
                                      field="from_seq" if row.from_seq is None else "to_seq")
        if row.from_seq is not None:
            for name, seq in (("from_seq", row.from_seq), ("to_seq", row.to_seq)):
                if seq not in seqs:
                    raise DataValidationError(
                        f"{row.expressway_id!r} has no waypoint seq {seq}; its seqs are "
                        f"{seqs[0]}..{seqs[-1]} ({WAYPOINTS_FILE})", path=path, row=i,
                        field=name)
            if not _section_legs(seqs, row.from_seq, row.to_seq):
                raise DataValidationError(f"from_seq {row.from_seq} must come before to_seq "
                                          f"{row.to_seq}", path=path, row=i, field="to_seq")
        legs = set(_section_legs(seqs, row.from_seq, row.to_seq))
        twice = legs & covered.setdefault(row.expressway_id, set())
        if twice:
            k = min(twice)
            raise DataValidationError(
                f"the leg {seqs[k]}-{seqs[k + 1]} of {row.expressway_id!r} is covered by an "
                "earlier row too; give each section once", path=path, row=i, field="from_seq")
        covered[row.expressway_id] |= legs
        if (row.opened == "") != (row.confidence == "unknown"):
            raise DataValidationError("opened is empty exactly when confidence is 'unknown' "
                                      f"(got opened {row.opened!r}, confidence "
                                      f"{row.confidence!r})", path=path, row=i,
                                      field="confidence")
        out.append({**row.model_dump(), "year": opening_year(row.opened)})
    return out


@functools.lru_cache(maxsize=8)
def _latest_opening_year(path: str, sha256: str) -> int | None:
    """Latest year of an openings file (cached per file content: *sha256* is the key)."""
    years = [r["year"] for r in read_openings(Path(path).parent) if r["year"] is not None]
    return max(years) if years else None


def effective_as_of(as_of: int | None, geodata_dir: str | Path | None = None) -> int | None:
    """Return the year that selects the default network's expressways for *as_of*.

    A year at or after the latest opening of ``expressway_openings.csv`` gives the same
    network as the current data (sections without a date are open in every year), so it
    is returned as ``None``: one cache entry and one load serve every such year (the
    2025, 2029 and year-less scenarios alike). Earlier years are returned unchanged.

    Examples
    --------
    >>> effective_as_of(2019), effective_as_of(2100), effective_as_of(None)
    (2019, None, None)
    """
    if as_of is None:
        return None
    from corridor_geo._io import file_sha256

    path = _folder(geodata_dir) / OPENINGS_FILE
    latest = _latest_opening_year(str(path), file_sha256(path))
    return None if latest is None or as_of >= latest else as_of


def open_legs(road: dict[str, Any], openings: list[dict[str, Any]], *,
              as_of: int | None) -> list[bool]:
    """Whether each leg of *road* (waypoint k to k+1) is open in the year *as_of*.

    A leg is open when *as_of* is ``None`` (the current data), when no row of
    *openings* covers it or its row has no date (``confidence`` unknown), or when it
    opened in or before *as_of* (:func:`opening_year`).

    Examples
    --------
    >>> road = {"id": "r", "waypoint_seqs": [1, 2, 3]}
    >>> rows = [{"expressway_id": "r", "from_seq": 2, "to_seq": 3, "year": 2020}]
    >>> open_legs(road, rows, as_of=2019), open_legs(road, rows, as_of=2020)
    ([True, False], [True, True])
    """
    seqs = list(road["waypoint_seqs"])
    legs = [True] * max(len(seqs) - 1, 0)
    if as_of is None:
        return legs
    for row in openings:
        if row["expressway_id"] != road["id"] or row["year"] is None or row["year"] <= as_of:
            continue
        for k in _section_legs(seqs, row["from_seq"], row["to_seq"]):
            legs[k] = False
    return legs


def match_expressways(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
                      expressways: list[dict[str, Any]], *, band_m: float
                      ) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Which undirected edge is which expressway: map-match each waypoint line.

    For every expressway, the polyline through its waypoints (metric coordinates
    ``road["xy"]``) is matched onto the network: among the edges whose two ends lie
    within *band_m* of the polyline, the cheapest path from each waypoint's nearest
    node to the next one is taken, with an edge cost of
    ``length × (1 + (d / 400 m)²) × (1 + 4 (1 - |cos a|)) + 250 m`` (``d`` the distance of
    the edge's midpoint from the polyline, ``a`` the angle between the edge and the
    nearest polyline segment; the fixed 250 m per edge prefers the long, junction-poor
    chords of a motorway to a parallel street with many junctions). So the matched
    road is one continuous chain that hugs the polyline and runs along it; crossing
    streets are not taken.

    A leg with no path inside the band (the source lacks that stretch, e.g. a bridge
    or a section the simplified source dropped) is **bridged**: a new edge joins the
    two waypoint nodes, as long as the polyline between them (or the straight line
    between the nodes, if longer); it is reported in ``bridged_legs``. Legs run between
    the waypoints with access (``road["waypoint_access"]``, default all): a leg with
    waypoints without access inside it is always bridged, along the polyline through
    them, so the road is entered only at the leg's two ends (a sea crossing, or a section
    whose crossing roads the source joins to it although the real road has no ramps
    there). A waypoint with access
    farther than ``2 × band_m`` from every road lies off the clipped network: its legs
    are left out (``legs_outside``). A leg marked ``False`` in ``road["legs_open"]`` (a
    section not open in the network's as-of year, :func:`open_legs`) is neither matched
    nor bridged (``legs_not_open``): its roads stay ordinary arterials.

    Returns
    -------
    index, bridges, report
        Per edge the position of its expressway in *expressways* (-1 none; the first
        listed wins where two share a road); the bridging edges as rows
        ``(u, v, length_m, expressway position)``; per expressway the matched and
        bridged length (km) and the bridged legs.
    """
    import scipy.sparse as sp
    import shapely
    from scipy.sparse.csgraph import dijkstra

    n, m = len(x), len(u)
    index = np.full(m, -1, dtype=np.int64)
    bridges: list[tuple[int, int, float, int]] = []
    report: list[dict[str, Any]] = []
    ex, ey = x[v] - x[u], y[v] - y[u]
    elen = np.hypot(ex, ey)
    pts = shapely.points(x, y)
    mid = shapely.points((x[u] + x[v]) / 2, (y[u] + y[v]) / 2)
    segs = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]]),
                                         np.column_stack([x[v], y[v]])], axis=1))
    for k, road in enumerate(expressways):
        px, py = (np.asarray(c, dtype=np.float64) for c in road["xy"])
        line = shapely.linestrings(np.column_stack([px, py]))
        dn = shapely.distance(pts, line)
        cand = (dn[u] <= band_m) & (dn[v] <= band_m) & (elen > 0)
        dm = shapely.distance(mid, line)
        along = shapely.line_locate_point(line, mid)
        seg_end = np.cumsum(np.hypot(np.diff(px), np.diff(py)))
        j = np.minimum(np.searchsorted(seg_end, along), len(seg_end) - 1)
        sx, sy = np.diff(px)[j], np.diff(py)[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.abs(ex * sx + ey * sy) / (elen * np.hypot(sx, sy))
        cos = np.nan_to_num(cos, nan=0.0)
        cost = elen * (1.0 + (dm / 400.0) ** 2) * (1.0 + 4.0 * (1.0 - cos)) + 250.0
        ci = np.flatnonzero(cand)
        g = sp.csr_array((np.concatenate([cost[ci], cost[ci]]),
                          (np.concatenate([u[ci], v[ci]]), np.concatenate([v[ci], u[ci]]))),
                         shape=(n, n))
        eid = {}
        for e in ci.tolist():
            eid[(int(u[e]), int(v[e]))] = e
            eid[(int(v[e]), int(u[e]))] = e
        # every waypoint goes to its nearest node (any node: a bridge may start there)
        wpos = shapely.line_locate_point(line, shapely.points(px, py))
        snap, off = [], []
        for w in shapely.points(px, py):
            # the nearest road, then the nearer of its two end nodes
            d = shapely.distance(segs, w)
            e = int(np.argmin(d))
            du, dv = shapely.distance(pts[u[e]], w), shapely.distance(pts[v[e]], w)
            snap.append(int(u[e] if du <= dv else v[e]))
            off.append(float(d[e]))
        labels = road.get("waypoint_labels") or [""] * len(snap)
        access = road.get("waypoint_access") or [True] * len(snap)
        gaps: list[str] = []
        outside: list[str] = []
        not_open: list[str] = []
        legs_open = road.get("legs_open") or [True] * (len(snap) - 1)
        matched: set[int] = set()
        bridged_km = 0.0
        # legs run between waypoints with access; points without access in between (at
        # sea, or where the source joins crossing roads the real road has no ramps for)
        # only shape the line: such a leg is bridged, so it is entered only at its ends
        ends = [i for i in range(len(snap)) if access[i]]
        for a, b in itertools.pairwise(ends):
            s, t = snap[a], snap[b]
            leg = f"{labels[a] or a + 1} - {labels[b] or b + 1}"
            if not all(legs_open[a:b]):
                not_open.append(leg)
                continue  # not open in the as-of year: not recognised, not bridged
            if off[a] > 2 * band_m or off[b] > 2 * band_m:
                outside.append(leg)
                continue  # a waypoint off the clipped network: that leg is not here
            if s == t:
                continue
            pred = None
            if b == a + 1:
                _, pred = dijkstra(g, indices=s, return_predecessors=True)
            if pred is None or pred[t] < 0:
                length = max(float(wpos[b] - wpos[a]), float(np.hypot(x[t] - x[s],
                                                                    y[t] - y[s])))
                bridges.append((s, t, length, k))
                bridged_km += length / 1000.0
                gaps.append(leg)
                continue
            node = t
            while node != s:
                p = int(pred[node])
                matched.add(eid[(p, node)])
                node = p
        new = np.array(sorted(e for e in matched if index[e] < 0), dtype=np.int64)
        index[new] = k
        report.append({"id": road["id"],
                       "matched_km": round(float(elen[sorted(matched)].sum()) / 1000.0, 1),
                       "bridged_km": round(bridged_km, 1), "bridged_legs": gaps,
                       "legs_outside": outside, "legs_not_open": not_open})
    return index, np.array(bridges, dtype=np.float64).reshape(-1, 4), report


def local_links(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
                on_expressway: np.ndarray, *, radius_m: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Link nearby road nodes that the source does not join: the local street layer.

    The bundled source holds major roads only; the minor streets between them, which a
    car uses to get from one major road to the next, are missing, so two junctions a few
    hundred metres apart can be tens of kilometres apart on the network. This layer
    stands in for them: every pair of nodes within *radius_m* (metric ``x``, ``y``) that no
    edge joins gets a link, as long as neither node lies on an expressway (edges with
    ``on_expressway``), so an expressway is still entered only where the source joins a
    road to it - at its interchanges. Lengths and speeds of these links come from
    ``drive_model.csv`` (``local_detour_factor``, ``local_kmh``); the caller applies them.

    Returns
    -------
    a, b, chord_m
        The new links (``a < b``, sorted) and their straight-line lengths (m).

    Examples
    --------
    >>> x = np.array([0.0, 500.0, 5000.0]); y = np.zeros(3)
    >>> roads_u, roads_v = np.array([0, 1]), np.array([2, 2])
    >>> local_links(x, y, roads_u, roads_v, np.array([False, False]), radius_m=800)
    (array([0]), array([1]), array([500.]))
    """
    from scipy.spatial import cKDTree

    n = len(x)
    used = np.zeros(n, dtype=bool)
    used[u] = used[v] = True
    on_exp = np.zeros(n, dtype=bool)
    on_exp[u[on_expressway]] = on_exp[v[on_expressway]] = True
    idx = np.flatnonzero(used & ~on_exp)
    if radius_m <= 0 or len(idx) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    pairs = cKDTree(np.column_stack([x[idx], y[idx]])).query_pairs(
        radius_m, output_type="ndarray")
    a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
    a, b = np.minimum(a, b), np.maximum(a, b)
    joined = np.minimum(u, v).astype(np.int64) * n + np.maximum(u, v)
    keep = ~np.isin(a.astype(np.int64) * n + b, joined)
    a, b = a[keep], b[keep]
    order = np.lexsort((b, a))
    a, b = a[order].astype(np.int64), b[order].astype(np.int64)
    return a, b, np.hypot(x[a] - x[b], y[a] - y[b])


def typical_expressway_kmh(geodata_dir: str | Path | None = None) -> dict[str, float]:
    """Typical car speed (km/h) per expressway id of ``geodata/expressways.csv``.

    Used by the default street network and by the expressway links of the multimodal
    model (``links.csv`` ids ``gs_expressway`` and ``yanjiang_expressway``), so both give
    the same speed on the same road.

    Examples
    --------
    >>> typical_expressway_kmh()["gs_expressway"] < 110
    True
    """
    return {r["id"]: float(r["typical_kmh"]) for r in read_expressways(geodata_dir)}
