"""Tests of :mod:`corridor_geo._text` and of user text in reports and CSV outputs."""

from __future__ import annotations

import csv
import io

import pandas as pd
import yaml

from corridor_geo._text import md_text

HOSTILE = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) `code` *em* | pipe"


def test_md_text_renders_literally():
    out = md_text(HOSTILE)
    assert "<" not in out
    assert ">" not in out
    assert "](" not in out.replace("\\](", "")  # no unescaped link
    assert out.count("\\|") == 1
    assert md_text("a\nb") == "a b"
    assert md_text("a\nb", one_line=False) == "a\nb"
    assert md_text("core_dg_songshan_lake") == "core_dg_songshan_lake"  # ids stay readable


def test_report_escapes_scenario_name_and_description(tmp_path):
    from corridor_geo.scenario import run_scenario

    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump({
        "name": HOSTILE, "description": "line one\n<script>alert(2)</script>",
        "as_of": 2025, "origins": ["core_dg_songshan_lake", "core_sz_hitech_zone"],
        "modes": ["drive"], "bands": [15], "outputs": {"map": False, "report": True}}),
        encoding="utf-8")
    run_scenario(p, out=tmp_path / "o", progress=False)
    report = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "<img" not in report
    assert "<script>" not in report
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in report
    assert "\\[x\\](javascript:alert(1))" in report
    assert "line one\n" in report  # the description keeps its lines


def test_csv_outputs_neutralise_formulas(tmp_path):
    from corridor_geo.distance import write_distance_csv
    from corridor_geo.scenario.report import write_csv as _write_csv

    df = pd.DataFrame({"from_id": ["=HYPERLINK(\"http://x\",\"y\")", "a"],
                       "to_id": ["@SUM(A1)", "-b"], "minutes": [-1.5, 2.0]})
    _write_csv(df, tmp_path / "m.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "m.csv").read_text())))
    assert [r["from_id"] for r in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "a"]
    assert [r["to_id"] for r in rows] == ["'@SUM(A1)", "'-b"]
    assert float(rows[0]["minutes"]) == -1.5  # numbers untouched
    from corridor_geo.distance import COLUMNS

    dist = pd.DataFrame({c: ["x"] for c in COLUMNS if not c.endswith("_deg")
                         and not c.endswith("_km")})
    dist = dist.assign(**{c: [1.0] for c in COLUMNS if c not in dist.columns})
    dist["from_id"] = ["+cmd"]
    write_distance_csv(dist, tmp_path / "d.csv")
    assert "'+cmd" in (tmp_path / "d.csv").read_text()
