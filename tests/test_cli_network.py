"""Tests of ``corridor-geo network build|info`` (click runner, in process).

Building and describing file sources is tested with the readers (``test_graph``,
``test_network``); here: what FOLDER ``network info`` accepts.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from corridor_geo.cli import main

pytest.importorskip("corridor_geo.graph")


def _run(*args: str):
    return CliRunner().invoke(main, ["--quiet", "network", *args])


def test_info_default_describes_the_bundled_network(tmp_path):
    """`network info default` prints what `network build default --out X` then
    `network info X` print: the bundled drive network."""
    built = _run("build", "default", "--out", str(tmp_path / "x"))
    assert built.exit_code == 0, built.output
    saved = _run("info", str(tmp_path / "x"))
    assert saved.exit_code == 0, saved.output
    res = _run("info", "default")
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info == json.loads(saved.stdout) == json.loads(built.stdout)
    assert info["mode"] == "drive"
    assert info["n_nodes"] > 1000


def test_info_dot_default_is_a_folder(tmp_path, monkeypatch):
    """'default' is the keyword (as in `network build default`); ./default is a folder."""
    (tmp_path / "default").mkdir()
    monkeypatch.chdir(tmp_path)
    res = _run("info", "./default")
    assert res.exit_code == 2
    assert "network folder default: default/meta.json: file not found" in res.stderr
    assert "expected a folder written by 'corridor-geo network build SOURCE --out" in res.stderr
    assert res.stderr.count("\n") == 1


@pytest.mark.parametrize(("make", "what"), [(None, "does not exist"), ("file", "is a file")])
def test_info_not_a_folder_says_what_folder_must_be(tmp_path, make, what):
    path = tmp_path / "net"
    if make == "file":
        path.write_text("{}")
    res = _run("info", str(path))
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1
    assert f"Invalid value for 'FOLDER': Directory '{path}' {what}." in res.stderr
    assert ("Expected a folder written by 'corridor-geo network build SOURCE --out FOLDER', "
            "or 'default' for the bundled network." in res.stderr)


# three nodes on one primary road: reading it shows two bars (the XML check, the ways)
_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="22.90" lon="113.90"/>
  <node id="2" lat="22.91" lon="113.91"/>
  <node id="3" lat="22.92" lon="113.92"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>
</osm>
"""


def test_progress_bars_stay_out_of_a_captured_stderr(tmp_path):
    """stderr not a terminal (a log, CI, a notebook capturing a subprocess): no bars, no
    carriage-return redraws; the command's own output is unchanged."""
    osm = tmp_path / "map.osm"
    osm.write_text(_OSM, encoding="utf-8")
    res = CliRunner().invoke(main, ["network", "build", str(osm)])  # no --quiet
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n_nodes"] == 2
    assert "\r" not in res.stderr
    assert "checking" not in res.stderr


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_progress_bars_show_on_a_terminal(tmp_path):
    """The same command with stderr on a terminal draws its bars; --quiet draws none."""
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios

    osm = tmp_path / "map.osm"
    osm.write_text(_OSM, encoding="utf-8")

    def stderr_on_a_tty(*args: str) -> str:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        env = {**os.environ, "CORRIDOR_GEO_CACHE_DIR": str(tmp_path / f"cache{len(args)}")}
        try:
            p = subprocess.run([sys.executable, "-c", "from corridor_geo.cli import main; main()",
                                *args, "network", "build", str(osm)], stdout=subprocess.PIPE,
                               stderr=slave, env=env, timeout=300, check=False)
        finally:
            os.close(slave)
        assert p.returncode == 0
        out = b""
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        return out.decode(errors="replace")

    shown = stderr_on_a_tty()
    assert "\r" in shown
    assert "map.osm: checking" in shown
    assert stderr_on_a_tty("--quiet") == ""
