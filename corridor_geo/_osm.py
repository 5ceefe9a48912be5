"""Private OSM file readers: ``.osm`` XML and ``.osm.pbf`` through pyosmium, streaming.

Reading is one streaming pass through libosmium so that a province-sized PBF
(Geofabrik ``guangdong-latest.osm.pbf``) is never held in memory: node locations go
into libosmium's C++ location index (``flex_mem`` for small files, a disk-backed
``sparse_file_array`` in a temporary folder above 64 MB), nodes themselves never reach
Python, ways are pre-filtered on the ``highway`` key in C++, and the network filter of
the requested type (osmnx's Overpass filter, evaluated with Overpass semantics) is
applied in Python. Only the kept ways' node references, locations and a few tags are
held. (A two-pass read with :class:`osmium.filter.IdFilter` was tried: its id set
allocates bitmaps over the whole id range, ~1 GB for sparse extracts.)

Then the ways are clipped to the polygon/bbox (a way is cut where it leaves the area,
like osmnx's truncation by node), split at intersections and ends (topological
simplification: nodes shared by two ways or occurring twice are kept, interior
vertices go into the edge geometry), and turned into directed edges with osmnx's
one-way rules. libosmium parses XML with expat without loading external entities.

OSM XML is first checked in Python (:func:`check_xml`, a streaming expat pass that
refuses entity declarations and loads nothing external): every node's ``lat``/``lon``
must be a decimal number of WGS84 degrees in range. libosmium would otherwise take
``lat="95"`` for a node missing from the extract and read ``lat="1e300"`` as 0. What
libosmium itself cannot parse (``id="abc"``, ``lat="nan"``) is reported with the line
and element it is on.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from xml.parsers import expat

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from corridor_geo._adapters import osmnx_network_filter
from corridor_geo.errors import CorridorGeoError, DataValidationError, NetworkSourceError

__all__ = ["NETWORK_TYPES", "RawWays", "check_xml", "network_filter", "read_osm_file",
           "way_filter"]

#: Network types and the osmnx ``network_type`` used for their filter.
NETWORK_TYPES = {"drive": "drive", "walk": "walk", "bike": "bike"}
#: Network types whose ways are all traversable both ways (osmnx's bidirectional types).
BIDIRECTIONAL = {"walk"}

_ONEWAY_VALUES = {"yes", "true", "1", "-1", "reverse", "T", "F"}
_REVERSED_VALUES = {"-1", "reverse", "T"}
_FILE_INDEX_ABOVE = 64 * 2**20
_KEEP_TAGS = ("highway", "name", "maxspeed", "oneway", "junction")
_CLAUSE = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')
#: A coordinate as libosmium reads it: a decimal number, optionally with an exponent.
_COORD = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]-?[0-9]+)?")
#: Largest |value| of each coordinate attribute (WGS84 degrees).
_COORD_RANGE = {"lat": 90.0, "lon": 180.0}
#: What each attribute libosmium parses should hold (for messages).
_EXPECTED = {"lat": "decimal degrees in [-90, 90] (WGS84)",
             "lon": "decimal degrees in [-180, 180] (WGS84)",
             "id": "an integer OSM id", "ref": "an integer OSM id",
             "version": "an integer version", "changeset": "an integer changeset id",
             "uid": "an integer user id", "timestamp": "a time such as 2024-10-01T12:00:00Z",
             "visible": "true or false"}
#: libosmium's coordinate value of an undefined location (a node missing from the file).
_UNDEFINED = 2**31 - 1
#: Suffixes of the OSM XML files libosmium reads (and their compression).
_XML_KINDS = ((".osm.bz2", "bz2"), (".osm.gz", "gz"), (".osm", ""), (".xml", ""))


def check_network_type(network_type: str) -> str:
    """Return *network_type* or raise a clear error."""
    if network_type not in NETWORK_TYPES:
        raise CorridorGeoError(
            f"unknown network type {network_type!r}; expected one of "
            f"{', '.join(sorted(NETWORK_TYPES))}"
        )
    return network_type


def network_filter(network_type: str) -> str:
    """Osmnx's Overpass way filter for *network_type* (the same filter as online)."""
    # osmnx<3 is pinned; its filters define the network types
    return osmnx_network_filter(NETWORK_TYPES[check_network_type(network_type)])


def parse_filter(text: str) -> list[tuple[str, str, re.Pattern[str] | None]]:
    """Parse an Overpass tag filter such as ``["highway"]["area"!~"yes"]``.

    Returns ``(key, op, regex)`` clauses with op ``"has"``, ``"~"`` or ``"!~"``.
    """
    clauses = []
    for key, op, rx in _CLAUSE.findall(text):
        clauses.append((key, op or "has", re.compile(rx) if op else None))
    if not clauses:
        raise CorridorGeoError(f"cannot parse Overpass filter {text!r}")
    return clauses


def way_filter(network_type: str) -> Any:
    """Return a predicate ``tags -> bool`` equal to the Overpass filter of the type.

    Overpass semantics: ``["k"]`` needs the key; ``["k"~"re"]`` needs the key with a
    value matching the (unanchored) regex; ``["k"!~"re"]`` passes when the key is
    absent or its value does not match.
    """
    clauses = parse_filter(network_filter(network_type))

    def passes(tags: Any) -> bool:
        for key, op, rx in clauses:
            val = tags.get(key)
            if op == "has":
                if val is None:
                    return False
            elif op == "~":
                if val is None or not rx.search(val):  # type: ignore[union-attr]
                    return False
            elif val is not None and rx.search(val):  # type: ignore[union-attr]
                return False
        return True

    return passes


@dataclass
class RawWays:
    """Ways and node locations read from an OSM file (before graph building)."""

    way_ids: np.ndarray  # int64 (n_ways)
    way_offsets: np.ndarray  # int64 (n_ways+1) into refs
    refs: np.ndarray  # int64 node ids, concatenated
    tags: list[dict[str, str]]
    node_ids: np.ndarray  # int64, sorted
    node_lon: np.ndarray
    node_lat: np.ndarray
    timestamp: str  # file header osmosis_replication_timestamp or latest way timestamp
    file_bounds: tuple[float, float, float, float] | None


def _progress(iterable: Any, *, desc: str, enabled: bool) -> Any:
    from corridor_geo._progress import tqdm_bar

    return tqdm_bar(iterable, show=enabled, desc=desc, unit=" obj", leave=False)


def _xml_compression(path: Path) -> str | None:
    """``""``, ``"gz"`` or ``"bz2"`` for an OSM XML file (by its name); None otherwise."""
    lower = path.name.lower()
    for suffix, kind in _XML_KINDS:
        if lower.endswith(suffix):
            return kind
    return None


@contextlib.contextmanager
def _xml_bytes(path: Path, compression: str) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Yield (decompressed stream, raw file) of an OSM XML file."""
    with path.open("rb") as raw:
        if compression == "bz2":
            with bz2.BZ2File(raw) as bz:
                yield cast(IO[bytes], bz), raw
        elif compression == "gz":
            with gzip.GzipFile(fileobj=raw) as gz:
                yield cast(IO[bytes], gz), raw
        else:
            yield raw, raw


def _element(name: str, attrs: dict[str, str]) -> str:
    ident = attrs.get("id")
    return f"{name} {ident}" if ident is not None and name != "nd" else name


class _XmlCheck:
    """The expat handlers of :func:`check_xml` (see there)."""

    def __init__(self, path: Path, parser: Any, find: str | None, reason: str) -> None:
        self.path, self.parser, self.find, self.reason = path, parser, find, reason
        self.suffix = find[3:] if find is not None and find.startswith("...") else None
        self.fullmatch = _COORD.fullmatch

    def no_entities(self, *_: Any) -> None:
        raise NetworkSourceError(f"cannot read OSM file {self.path}: XML entities are not "
                                 "supported")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        # called for every element: a good node or any other element returns after a
        # few cheap tests
        if name != "node":
            return
        lat, lon = attrs.get("lat"), attrs.get("lon")
        if lat is None and lon is None:  # a node without a location (deleted, changes)
            return
        fullmatch = self.fullmatch
        if (lat is None or lon is None or not fullmatch(lat) or not fullmatch(lon)
                or not (-90.0 <= float(lat) <= 90.0 and -180.0 <= float(lon) <= 180.0)):
            self.bad_node(attrs)

    def bad_node(self, attrs: dict[str, str]) -> None:
        where = f"line {self.parser.CurrentLineNumber}, {_element('node', attrs)}"
        for key, top in _COORD_RANGE.items():
            text = attrs.get(key)
            if text is None:
                raise DataValidationError(
                    f"{where}: has {'lon' if key == 'lat' else 'lat'} but no {key}; expected "
                    "both lat and lon (or neither, for a node without a location)",
                    path=self.path)
            if not _COORD.fullmatch(text):
                raise DataValidationError(
                    f"{where}: {key} {text!r} is not a decimal number; expected "
                    f"{_EXPECTED[key]}", path=self.path)
            if not abs(float(text)) <= top:
                raise DataValidationError(
                    f"{where}: {key} {text!r} is out of range; expected {_EXPECTED[key]}",
                    path=self.path)

    def locate(self, name: str, attrs: dict[str, str]) -> None:
        if name in ("tag", "osm", "bounds"):
            return
        for key, value in attrs.items():
            if key in _EXPECTED and (value == self.find or (
                    self.suffix is not None and value.endswith(self.suffix))):
                raise DataValidationError(
                    f"line {self.parser.CurrentLineNumber}, {_element(name, attrs)}: {key} "
                    f"{value!r}: {self.reason}; expected {_EXPECTED[key]}", path=self.path)


def check_xml(path: Path, *, progress: bool = False, find: str | None = None,
              reason: str = "") -> None:
    """Check the node coordinates of an OSM XML file in one streaming expat pass.

    Every ``<node>`` with a location must have ``lat`` and ``lon`` that are decimal
    numbers in [-90, 90] and [-180, 180] (libosmium would read ``lat="1e300"`` as 0 and
    take ``lat="95"`` for a node missing from the file). Entity declarations are refused
    (as libosmium does) and nothing external is loaded.

    Parameters
    ----------
    path
        ``.osm``, ``.xml``, ``.osm.gz`` or ``.osm.bz2`` file.
    progress
        Show a tqdm progress bar over the file's bytes.
    find
        Instead, stop at the first id, ref, coordinate, version, changeset, uid, timestamp
        or visible attribute equal to *find* (or ending in it, when *find* starts with
        ``"..."``): used to place an error libosmium reported, with *reason*.
    reason
        What libosmium said of *find*.

    Raises
    ------
    DataValidationError
        Naming the file, the line and the node (or element) at fault and what was
        expected.
    NetworkSourceError
        The file is not well-formed XML, declares entities or cannot be decompressed.

    Examples
    --------
    >>> check_xml(Path("map.osm"))  # doctest: +SKIP
    """
    from corridor_geo._progress import tqdm_bar

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    check = _XmlCheck(path, parser, find, reason)
    parser.EntityDeclHandler = check.no_entities
    parser.StartElementHandler = check.start if find is None else check.locate
    try:
        with _xml_bytes(path, _xml_compression(path) or "") as (fh, raw), tqdm_bar(
                total=path.stat().st_size, show=progress, desc=f"{path.name}: checking",
                unit="B", unit_scale=True, leave=False) as bar:
            done = 0
            while block := fh.read(1 << 20):
                parser.Parse(block, False)
                bar.update(raw.tell() - done)
                done = raw.tell()
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise NetworkSourceError(
            f"cannot read OSM file {path}: not well-formed XML at line {exc.lineno}, column "
            f"{exc.offset + 1} ({expat.ErrorString(exc.code)})") from None
    except (OSError, EOFError) as exc:  # bad gzip/bz2 data; a read error
        raise NetworkSourceError(f"cannot read OSM file {path}: {exc}") from None


def _read_error(path: Path, exc: BaseException) -> CorridorGeoError:
    """Return the error for what libosmium could not read, placed in the file if XML."""
    msg = " ".join(str(exc).split())
    m = re.fullmatch(r"(.*?):? '(.*)'", str(exc), flags=re.DOTALL)
    if m is not None and _xml_compression(path) is not None:
        reason, value = m.group(1), m.group(2)
        if reason.startswith("characters after"):
            reason, value = "unexpected characters after the number", f"...{value}"
        try:
            check_xml(path, find=value, reason=reason)
        except CorridorGeoError as found:
            return found
    return NetworkSourceError(f"cannot read OSM file {path}: {msg}")


def _osmium_errors() -> tuple[type[BaseException], ...]:
    """Return what pyosmium raises for a file it cannot read (io, xml, pbf, parse errors)."""
    import osmium

    return (RuntimeError, ValueError, OverflowError, IndexError, osmium.InvalidLocationError)


def _take_nodes(way: Any, path: Path, refs: list[int], lons: list[float], lats: list[float],
                bbox: tuple[float, float, float, float] | None) -> bool:
    """Append the node ids and locations of *way*; return whether one lies in *bbox*.

    A node missing from the extract gets NaN (treated as outside); a node with a location
    outside WGS84 ranges raises DataValidationError naming it.
    """
    inside = bbox is None
    w_, s_, e_, n_ = bbox if bbox is not None else (-math.inf, -math.inf, math.inf, math.inf)
    for nd in way.nodes:
        loc = nd.location
        if loc.valid():
            x, y = loc.lon, loc.lat
            refs.append(nd.ref)
            lons.append(x)
            lats.append(y)
            if not inside and w_ <= x <= e_ and s_ <= y <= n_:
                inside = True
        elif loc.x == _UNDEFINED and loc.y == _UNDEFINED:  # missing from the extract
            refs.append(nd.ref)
            lons.append(math.nan)
            lats.append(math.nan)
        else:
            raise DataValidationError(
                f"node {nd.ref} (of way {way.id}) has lon {loc.lon_without_check()!r}, lat "
                f"{loc.lat_without_check()!r}; expected WGS84 degrees in [-180, 180] and "
                "[-90, 90]", path=path)
    return inside


def read_osm_file(
    path: Path,
    *,
    network_type: str,
    bbox: tuple[float, float, float, float] | None = None,
    progress: bool = False,
) -> RawWays:
    """Stream the ways of *network_type* and their node locations out of an OSM file.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.
    network_type
        ``"drive"``, ``"walk"`` or ``"bike"``.
    bbox
        Clip box (west, south, east, north): ways with no node inside it are dropped while
        streaming, so memory follows the kept ways, not the file (the exact clip to a
        polygon/bbox still happens in :func:`build_edges`; a way with no node inside
        would contribute nothing there).
    progress
        Show tqdm progress.
    """
    import osmium

    from corridor_geo._io import check_input_file

    check_input_file(path, max_bytes=sys.maxsize, what="OSM file")  # no FIFO or device
    passes = way_filter(network_type)
    errors = _osmium_errors()
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        header = reader.header()
        reader.close()
    except errors as exc:
        raise _read_error(path, exc) from None
    if _xml_compression(path) is not None:
        check_xml(path, progress=progress)
    box = header.box()
    file_bounds = None
    if box.valid():
        file_bounds = (box.bottom_left.lon, box.bottom_left.lat,
                       box.top_right.lon, box.top_right.lat)
    stamp = header.get("osmosis_replication_timestamp", "") or header.get("timestamp", "")

    way_ids: list[int] = []
    offsets = [0]
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    tags: list[dict[str, str]] = []
    latest = ""
    seen = [math.inf, math.inf, -math.inf, -math.inf]  # bounds of every way read
    big = path.stat().st_size > _FILE_INDEX_ABOVE
    with tempfile.TemporaryDirectory(prefix="corridor_geo_osm_") as tmp:
        # node locations live in libosmium's C++ index (on disk for big files)
        index = f"sparse_file_array,{Path(tmp) / 'nodes.idx'}" if big else "flex_mem"
        try:
            fp = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                  .with_locations(index)
                  .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                  .with_filter(osmium.filter.KeyFilter("highway")))
            with _progress(fp, desc=f"{path.name}: ways", enabled=progress) as ways:
                for w in ways:
                    t = w.tags
                    if not passes(t):
                        continue
                    n0 = len(refs)
                    inside = _take_nodes(w, path, refs, lons, lats, bbox)
                    if bbox is not None and len(refs) > n0:
                        xs = [v for v in lons[n0:] if v == v]
                        if xs:
                            ys = [v for v in lats[n0:] if v == v]
                            seen[0], seen[2] = min(seen[0], *xs), max(seen[2], *xs)
                            seen[1], seen[3] = min(seen[1], *ys), max(seen[3], *ys)
                    if len(refs) - n0 < 2 or not inside:
                        del refs[n0:], lons[n0:], lats[n0:]
                        continue
                    way_ids.append(w.id)
                    offsets.append(len(refs))
                    tags.append({k: t[k] for k in _KEEP_TAGS if k in t})
                    if w.timestamp and w.timestamp.year > 1970:
                        latest = max(latest, w.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
        except CorridorGeoError:
            raise
        except errors as exc:
            raise _read_error(path, exc) from None
    if file_bounds is None and bbox is not None and math.isfinite(seen[0]):
        file_bounds = (seen[0], seen[1], seen[2], seen[3])
    refs_a = np.array(refs, dtype=np.int64)
    ids, first = np.unique(refs_a, return_index=True)
    lon_a = np.array(lons, dtype=np.float64)[first]
    lat_a = np.array(lats, dtype=np.float64)[first]
    return RawWays(
        way_ids=np.array(way_ids, dtype=np.int64), way_offsets=np.array(offsets, dtype=np.int64),
        refs=refs_a, tags=tags, node_ids=ids, node_lon=lon_a, node_lat=lat_a,
        timestamp=str(stamp or latest), file_bounds=file_bounds,
    )


def _inside(lon: np.ndarray, lat: np.ndarray, *, bbox: Any, polygon: BaseGeometry | None
            ) -> np.ndarray:
    ok = np.isfinite(lon) & np.isfinite(lat)
    if bbox is not None:
        w, s, e, n = bbox
        ok &= (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    if polygon is not None:
        minx, miny, maxx, maxy = polygon.bounds
        ok &= (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        idx = np.flatnonzero(ok)
        shapely.prepare(polygon)
        ok[idx] = shapely.contains_xy(polygon, lon[idx], lat[idx])
    return np.asarray(ok, dtype=bool)


def build_edges(
    raw: RawWays,
    *,
    network_type: str,
    bbox: Any = None,
    polygon: BaseGeometry | None = None,
) -> dict[str, Any]:
    """Clip, simplify and direct the ways; return the arrays for ``Network.from_edges``.

    Lengths are great-circle sums over the vertices (osmnx's formula and radius).
    """
    from corridor_geo.network import haversine_m
    from corridor_geo.speeds import parse_maxspeed

    n_ways = len(raw.way_ids)
    if n_ways == 0:
        return {}
    # node id -> position in the node arrays (-1 when the file lacks the node)
    pos = np.searchsorted(raw.node_ids, raw.refs)
    pos = np.minimum(pos, max(len(raw.node_ids) - 1, 0))
    found = (raw.node_ids[pos] == raw.refs) if len(raw.node_ids) else np.zeros(len(raw.refs),
                                                                                 bool)
    inside_node = _inside(raw.node_lon, raw.node_lat, bbox=bbox, polygon=polygon)
    keep = found & inside_node[pos] if len(raw.node_ids) else found
    way_of_ref = np.repeat(np.arange(n_ways), np.diff(raw.way_offsets))
    # runs = maximal stretches of consecutive kept refs within a way
    brk = np.ones(len(raw.refs), dtype=bool)  # True where a new run may start
    brk[1:] = way_of_ref[1:] != way_of_ref[:-1]
    kp = np.flatnonzero(keep)
    if not len(kp):
        return {}
    new_run = np.ones(len(kp), dtype=bool)
    new_run[1:] = (np.diff(kp) != 1) | brk[kp[1:]]
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)
    good = run_len[run_id] >= 2
    kp, run_id = kp[good], run_id[good]
    if not len(kp):
        return {}
    _, run_id = np.unique(run_id, return_inverse=True)
    node_pos = pos[kp]  # position into node arrays, per flat vertex
    run_first = np.ones(len(kp), dtype=bool)
    run_first[1:] = run_id[1:] != run_id[:-1]
    run_last = np.ones(len(kp), dtype=bool)
    run_last[:-1] = run_id[1:] != run_id[:-1]
    occurrences = np.bincount(node_pos, minlength=len(raw.node_ids))
    is_end = run_first | run_last | (occurrences[node_pos] >= 2)
    # edges between consecutive end vertices of the same run
    ends = np.flatnonzero(is_end)
    same = run_id[ends[1:]] == run_id[ends[:-1]]
    a, b = ends[:-1][same], ends[1:][same]
    lon = raw.node_lon[node_pos]
    lat = raw.node_lat[node_pos]
    step = np.zeros(len(kp))
    step[1:] = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    step[run_first] = 0.0
    cum = np.cumsum(step)
    seg_len = cum[b] - cum[a]
    # exact per-segment sums (cumsum differences lose a few ulps on long files)
    counts = b - a
    flat = np.repeat(a, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts,
                                                                       counts)) + 1
    seg_len = np.add.reduceat(step[flat], np.cumsum(counts) - counts) if len(flat) else seg_len
    way_idx = way_of_ref[kp[a]]
    # one-way rules (osmnx): bidirectional types ignore them
    bidir = network_type in BIDIRECTIONAL
    ow = np.zeros(n_ways, dtype=bool)
    rev = np.zeros(n_ways, dtype=bool)
    hw = np.empty(n_ways, dtype=object)
    nm = np.empty(n_ways, dtype=object)
    ms = np.full(n_ways, np.nan)
    for i, t in enumerate(raw.tags):
        hw[i] = t.get("highway", "")
        nm[i] = t.get("name", "")
        ms[i] = parse_maxspeed(t.get("maxspeed"))
        if not bidir:
            o = t.get("oneway")
            one = (o in _ONEWAY_VALUES) or t.get("junction") == "roundabout"
            ow[i] = one
            rev[i] = one and o in _REVERSED_VALUES
    e_ow, e_rev = ow[way_idx], rev[way_idx]
    # forward edges (a->b) unless reversed one-way; backward (b->a) unless plain one-way
    fwd = ~e_rev
    bwd = ~e_ow | e_rev
    seg_counts = counts + 1

    def coords(sel: np.ndarray, backward: bool) -> tuple[np.ndarray, np.ndarray]:
        cnt = seg_counts[sel]
        within = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        if backward:
            within = np.repeat(cnt - 1, cnt) - within
        vert = np.repeat(a[sel], cnt) + within
        return lon[vert], lat[vert]

    f_lon, f_lat = coords(fwd, backward=False)
    b_lon, b_lat = coords(bwd, backward=True)
    u_pos = np.concatenate([node_pos[a][fwd], node_pos[b][bwd]])
    v_pos = np.concatenate([node_pos[b][fwd], node_pos[a][bwd]])
    cnt = np.concatenate([seg_counts[fwd], seg_counts[bwd]])
    offsets = np.zeros(len(cnt) + 1, dtype=np.int64)
    np.cumsum(cnt, out=offsets[1:])
    w_all = np.concatenate([way_idx[fwd], way_idx[bwd]])
    used, inv = np.unique(np.concatenate([u_pos, v_pos]), return_inverse=True)
    m = len(u_pos)
    return {
        "osmid": raw.node_ids[used], "lon": raw.node_lon[used], "lat": raw.node_lat[used],
        "source": inv[:m], "target": inv[m:],
        "length_m": np.concatenate([seg_len[fwd], seg_len[bwd]]),
        "highway": hw[w_all], "name": nm[w_all], "way_id": raw.way_ids[w_all],
        "oneway": ow[w_all], "maxspeed_kmh": ms[w_all],
        "geom_offsets": offsets,
        "geom_lon": np.concatenate([f_lon, b_lon]), "geom_lat": np.concatenate([f_lat, b_lat]),
    }


def largest_component(arrays: dict[str, Any]) -> dict[str, Any]:
    """Keep the largest weakly connected component (osmnx's ``retain_all=False``)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = len(arrays["osmid"])
    src, tgt = arrays["source"], arrays["target"]
    g = sp.coo_array((np.ones(len(src)), (src, tgt)), shape=(n, n)).tocsr()
    _, labels = connected_components(g, directed=True, connection="weak")
    big = np.argmax(np.bincount(labels))
    keep_node = labels == big
    if keep_node.all():
        return arrays
    new_index = np.cumsum(keep_node) - 1
    keep_edge = keep_node[src]
    offs = arrays["geom_offsets"]
    cnt = np.diff(offs)[keep_edge]
    starts = offs[:-1][keep_edge]
    vert = np.repeat(starts, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    out = dict(arrays)
    for k in ("osmid", "lon", "lat"):
        out[k] = arrays[k][keep_node]
    for k in ("length_m", "highway", "name", "way_id", "oneway", "maxspeed_kmh"):
        out[k] = arrays[k][keep_edge]
    out["source"] = new_index[src[keep_edge]]
    out["target"] = new_index[tgt[keep_edge]]
    out["geom_offsets"] = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int64)
    out["geom_lon"] = arrays["geom_lon"][vert]
    out["geom_lat"] = arrays["geom_lat"][vert]
    return out


def describe_bounds(bounds: Any) -> str:
    """Human-readable (west, south, east, north)."""
    if bounds is None:
        return "unknown"
    return "({:.4f}, {:.4f}, {:.4f}, {:.4f})".format(*bounds)

