"""Tests of :mod:`corridor_geo._yaml`: bounded safe YAML loading."""

from __future__ import annotations

import tracemalloc

import pytest
import yaml
from click.testing import CliRunner

from corridor_geo._yaml import MAX_ALIASES, MAX_DEPTH, MAX_NODES, YAMLLimitError, safe_load
from corridor_geo.cli import main

#: the 0.8 KB "billion laughs" of the issue: 9**9 strings once expanded
BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi",
                                                                   strict=True)]
) + "\n"


def test_plain_documents_load_like_safe_load():
    text = "name: t\nbands: [15, 30]\nedits: {speed_factors: {x: 1.5}}\nwhen: 2025-01-01\n"
    assert safe_load(text) == yaml.safe_load(text)
    assert safe_load("") is None
    # merge keys and a few aliases are fine, and later keys override merged ones
    assert safe_load("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n") == {
        "base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}


def test_alias_bomb_is_refused_quickly_and_small():
    assert len(BOMB) < 900
    tracemalloc.start()
    with pytest.raises(YAMLLimitError, match=f"more than {MAX_NODES} values once aliases"):
        safe_load(BOMB)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 << 20  # bytes: nothing was expanded


def test_alias_count_depth_and_duplicate_keys():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(YAMLLimitError, match=f"more than {MAX_ALIASES} aliases") as info:
        safe_load(many)
    assert info.value.problem_mark.line == 1  # second line, 0-based
    with pytest.raises(YAMLLimitError, match=f"deeper than {MAX_DEPTH}"):
        safe_load("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert safe_load("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)) is not None
    with pytest.raises(YAMLLimitError, match=r"duplicate key 'b' \(first at line 2\)"):
        safe_load("a: 1\nb: 2\nc: {x: 1}\nb: 3\n")
    with pytest.raises(YAMLLimitError, match="duplicate key 'x'"):
        safe_load("c: {x: 1, x: 2}\n")


def test_code_tags_are_refused():
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object/apply:os.system ['echo hi']\n")


def test_cli_alias_bomb_and_duplicate_key_are_one_line(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text("name: t\norigins: [core_sz_hitech_zone]\ndescription: x\n" + BOMB)
    res = CliRunner().invoke(main, ["--quiet", "run", str(p), "--check"])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1
    assert "values once aliases are expanded" in res.stderr
    p.write_text("name: t\norigins: [core_sz_hitech_zone]\nname: u\n")
    res = CliRunner().invoke(main, ["--quiet", "run", str(p), "--check"])
    assert res.exit_code == 2
    assert f"{p}: invalid YAML at line 3, column 1: duplicate key 'name'" in res.stderr
