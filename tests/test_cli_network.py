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
    assert "meta.json: file not found" in res.stderr


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
