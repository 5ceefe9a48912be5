"""Scripted what-if scenarios: scenario files, runs and comparisons.

A scenario is a YAML file that a planner can version: the year (``as_of``), origins and
destinations, travel modes, catchment bands, network edits (switch on a planned link,
close a link, add a link with its stops and speed, speed factors per link or road
class, headways) and extra nodes. :class:`Scenario` validates it (pydantic, strict,
unknown fields refused) and :meth:`Scenario.resolve` checks it against the corridor
(unknown ids or links with close matches, a year before any link opened, ...).
Every problem is one :class:`ScenarioError` line naming the file and the field path,
for example ``scenario.yaml: edits.speed_factors.gs_expressway: must be > 0 (got -0.5)``.

:func:`run_scenario` writes ``map.html``, ``catchments.gpkg``, ``matrix.csv``,
``summary.json``, ``report.md`` (with PNG plots) and ``run.log`` into an output folder,
atomically: a failed run leaves no half-written folder. :func:`compare` runs a base and
a scenario and writes the changes in catchment area, in travel time per pair and a map
of the gained and lost areas. Outputs other than the log are byte-identical for the
same inputs.

The package has one module per concern: :mod:`~corridor_geo.scenario.model` (the file
and its check against the corridor), :mod:`~corridor_geo.scenario.streets` (street
networks, cached per process), :mod:`~corridor_geo.scenario.run` (analysis and
summary), :mod:`~corridor_geo.scenario.compare` and :mod:`~corridor_geo.scenario.report`
(one writer per output format).

Examples
--------
>>> from corridor_geo.scenario import Scenario, run_scenario, compare
>>> s = Scenario.from_yaml("scenarios/baseline_2025.yaml")  # doctest: +SKIP
>>> result = run_scenario(s, out="out/baseline")  # doctest: +SKIP
>>> result.summary["catchments"][0]["area_km2"]  # doctest: +SKIP
>>> diff = compare("scenarios/baseline_2025.yaml", "scenarios/second_gz_sz_hsr_2029.yaml",
...                out="out/hsr_vs_base")  # doctest: +SKIP
"""

import logging

from corridor_geo._scenario_model import (
    LINK_MODES,
    MODES,
    AddLink,
    Edits,
    OutputDirError,
    Outputs,
    Population,
    ScenarioError,
    StopPoint,
)
from corridor_geo.scenario.compare import Comparison, compare
from corridor_geo.scenario.model import (
    ResolvedScenario,
    Scenario,
    export_json_schema,
    json_schema,
)
from corridor_geo.scenario.run import RunResult, check_out_dir, run_scenario
from corridor_geo.scenario.streets import street_network

#: The logger of scenario runs (``run.log`` holds its records).
logger = logging.getLogger(__name__)

__all__ = [
    "LINK_MODES",
    "MODES",
    "AddLink",
    "Comparison",
    "Edits",
    "OutputDirError",
    "Outputs",
    "Population",
    "ResolvedScenario",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StopPoint",
    "check_out_dir",
    "compare",
    "export_json_schema",
    "json_schema",
    "run_scenario",
    "street_network",
]
