"""One snap default for the catchments API, the CLI and scenario files (issue 11)."""

from __future__ import annotations

import inspect

from corridor_geo import settings
from corridor_geo._scenario_model import ScenarioModel
from corridor_geo.catchments import catchments
from corridor_geo.cli.catchments import catchments as cli_catchments


def test_one_snap_default():
    api = inspect.signature(catchments).parameters["snap_max_m"].default
    cli = next(p.default for p in cli_catchments.params if p.name == "snap_max_m")
    yaml = ScenarioModel.model_fields["snap_max_m"].default
    assert api == cli == yaml == settings.SNAP_MAX_M == 3000.0
