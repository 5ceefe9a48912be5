"""A stand-in Overpass API on 127.0.0.1 that answers osmnx's network queries from an .osm file.

It understands exactly what osmnx sends for ``graph_from_polygon``::

    [out:json][timeout:180];(way["highway"]["area"!~"yes"]...(poly:'lat lon lat lon ...');>;);out;

and answers with Overpass JSON: the ways of the file that pass the tag filter (Overpass
semantics: unanchored regexes, ``!~`` passes when the key is absent) and have a node
inside the polygon, plus all their nodes (the ``>;`` recursion). ``/status`` reports free
slots so osmnx does not pause.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import osmium
import shapely

_CLAUSE = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')
_STATUS = ("Connected as: 1\nCurrent time: 2024-01-01T00:00:00Z\nAnnounced endpoint: none\n"
           "Rate limit: 2\n2 slots available now.\n"
           "Currently running queries (pid, space limit, time limit, start time):\n")


class OverpassStub:
    """Serve ``osm_path`` as an Overpass API; use as a context manager.

    Attributes
    ----------
    url
        Base URL to put in ``settings.overpass_url`` (``http://127.0.0.1:PORT/api``).
    queries
        The Overpass QL queries received.
    """

    def __init__(self, osm_path: Path) -> None:
        self.nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        for obj in osmium.FileProcessor(str(osm_path), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node():
                self.nodes[obj.id] = (obj.location.lat, obj.location.lon, dict(obj.tags))
            elif obj.is_way():
                self.ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
        self.queries: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, body: bytes, ctype: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/status"):
                    self._send(_STATUS.encode(), "text/plain")
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                query = form.get("data", [""])[0]
                stub.queries.append(query)
                self._send(json.dumps(stub.answer(query)).encode(), "application/json")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, query: str) -> dict:
        """Overpass JSON for one osmnx network query."""
        m = re.search(r"way((?:\[[^\]]*\])+)\(poly:'([^']*)'\)", query)
        if not m:
            return {"elements": [], "remark": "stub: unsupported query"}
        clauses = [(k, op, re.compile(rx) if op else None) for k, op, rx in _CLAUSE.findall(m[1])]
        vals = [float(v) for v in m[2].split()]
        poly = shapely.Polygon(list(zip(vals[1::2], vals[0::2], strict=True)))  # lon, lat
        shapely.prepare(poly)
        out_nodes: set[int] = set()
        elements = []
        for wid, refs, tags in self.ways:
            ok = True
            for key, op, rx in clauses:
                val = tags.get(key)
                missing = op == "" and val is None
                no_match = op == "~" and (val is None or not rx.search(val))
                excluded = op == "!~" and val is not None and rx.search(val)
                if missing or no_match or excluded:
                    ok = False
            if not ok:
                continue
            have = [r for r in refs if r in self.nodes]
            if not any(poly.contains(shapely.Point(self.nodes[r][1], self.nodes[r][0]))
                       for r in have):
                continue
            elements.append({"type": "way", "id": wid, "nodes": refs, "tags": tags})
            out_nodes.update(have)
        nodes = [{"type": "node", "id": n, "lat": self.nodes[n][0], "lon": self.nodes[n][1],
                  **({"tags": self.nodes[n][2]} if self.nodes[n][2] else {})}
                 for n in sorted(out_nodes)]
        return {"version": 0.6, "generator": "corridor_geo test stub",
                "elements": nodes + elements}

    def __enter__(self) -> OverpassStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
