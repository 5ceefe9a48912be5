"""One rule for band order in the API, the CLI and scenario files (issue 15, item 4).

Before, ``catchments --bands 60,30`` was silently sorted while a scenario file with
``bands: [60, 30]`` was rejected. Now all three reject it with the same words.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from corridor_geo._bands import check_bands
from corridor_geo.catchments import catchments
from corridor_geo.cli import main
from corridor_geo.errors import CorridorGeoError
from corridor_geo.scenario import Scenario

RULE = "must be strictly increasing (got 60, 30)"


def test_rule():
    assert check_bands([15, "30", 60.5]) == [15.0, 30.0, 60.5]
    for bad, words in [([60, 30], RULE), ([30, 30], "strictly increasing (got 30, 30)"),
                       ([], "at least one"), ([0, 30], "positive"),
                       ([float("nan")], "positive"), (["x"], "numbers of minutes")]:
        with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
            check_bands(bad)


def test_api_rejects():
    with pytest.raises(CorridorGeoError, match=r"bands must be strictly increasing \(got 60, 30\)"):
        catchments(["core_dg_songshan_lake"], bands=(60, 30))


def test_cli_rejects(tmp_path):
    r = CliRunner().invoke(main, ["--quiet", "catchments", "--origins", "core_dg_songshan_lake",
                                  "--bands", "60,30", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert RULE in r.output
    assert not (tmp_path / "o").exists()


def test_scenario_rejects(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("name: s\norigins: [core_dg_songshan_lake]\nbands: [60, 30]\n",
                 encoding="utf-8")
    with pytest.raises(CorridorGeoError,
                       match=r"bands: must be strictly increasing \(got 60, 30\)"):
        Scenario.from_yaml(f)
