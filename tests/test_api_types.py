"""Every public function refuses arguments of the wrong type with a CorridorGeoError.

Issue 13 item 6: no raw ``TypeError``/``AttributeError``/``KeyError`` from the public API
when a caller passes an obviously wrong type (a number, a dict, an arbitrary object)
where a corridor, network, path, frame, number or list is meant. ``ArgumentError`` is
also a ``TypeError``/``ValueError``, so callers catching those keep working.
"""

from __future__ import annotations

import pytest

import corridor_geo as cg
from corridor_geo import data, figures, network, validate
from corridor_geo.catchments import catchments  # cg.catchments may be the submodule
from corridor_geo.errors import ArgumentError, CorridorGeoError

BAD = [5, {"a": 1}, object()]


@pytest.fixture(scope="module")
def corridor():
    return cg.load_corridor()


@pytest.fixture(scope="module")
def net():
    return cg.load_network("default")


CALLS = {
    # coordinate converters (corridor_geo.crs)
    "wgs84_to_gcj02": lambda c, n, b: cg.wgs84_to_gcj02({"a": 1} if b == 5 else b, 23.1),
    "gcj02_to_wgs84": lambda c, n, b: cg.gcj02_to_wgs84(113.3, {"a": 1} if b == 5 else b),
    "wgs84_to_bd09": lambda c, n, b: cg.wgs84_to_bd09([b] if b != 5 else "x", [23.1]),
    "bd09_to_wgs84": lambda c, n, b: cg.bd09_to_wgs84(b if b != 5 else "x", 23.1),
    # corridor
    "load_corridor(as_of)": lambda c, n, b: cg.load_corridor(as_of=b),
    "load_corridor(extra_nodes)": lambda c, n, b: cg.load_corridor(extra_nodes=b),
    "load_corridor(include_planned)": lambda c, n, b: cg.load_corridor(include_planned=b),
    "load_corridor(geodata_dir)": lambda c, n, b: cg.load_corridor(geodata_dir=b),
    "Corridor.at_year": lambda c, n, b: c.at_year(b),
    "Corridor.resolve": lambda c, n, b: c.resolve(b),
    "read_extra_nodes": lambda c, n, b: data.read_extra_nodes(b),
    "load_boundaries": lambda c, n, b: cg.load_boundaries(level=b),
    # networks and routing
    "load_network(source)": lambda c, n, b: cg.load_network(b),
    "load_network(network_type)": lambda c, n, b: cg.load_network(network_type=b),
    "load_network(speeds)": lambda c, n, b: cg.load_network(speeds=b, cache=False),
    "load_network(bbox)": lambda c, n, b: cg.load_network(bbox=b, cache=False),
    "load_network(polygon)": lambda c, n, b: cg.load_network(polygon=b, cache=False),
    "save_network": lambda c, n, b: network.save_network(b, "/nonexistent/never"),
    "save_network(directory)": lambda c, n, b: network.save_network(n, b),
    "snap_points(net)": lambda c, n, b: cg.snap_points(b, [114.05], [22.54]),
    "snap_points(lon, lat)": lambda c, n, b: cg.snap_points(n, {"a": 1} if b == 5 else b, b),
    "snap_points(max_distance_m)": lambda c, n, b: cg.snap_points(
        n, [114.05], [22.54], max_distance_m={"a": 1} if b == 5 else b),
    "travel_times(net)": lambda c, n, b: cg.travel_times(b, [0]),
    "travel_times(origins)": lambda c, n, b: cg.travel_times(n, {"a": 1} if b == 5 else b),
    "travel_times(cutoff_s)": lambda c, n, b: cg.travel_times(
        n, [0], cutoff_s={"a": 1} if b == 5 else b),
    "travel_times(weight)": lambda c, n, b: cg.travel_times(n, [0], weight=b),
    # analyses
    "catchments(origins)": lambda c, n, b: catchments(b, network=n),
    "catchments(bands)": lambda c, n, b: catchments(["core_sz_hitech_zone"], bands=b,
                                                      network=n),
    "catchments(mode)": lambda c, n, b: catchments(["core_sz_hitech_zone"], mode=b),
    "catchments(cell_size_m)": lambda c, n, b: catchments(
        ["core_sz_hitech_zone"], cell_size_m={"a": 1} if b == 5 else b, network=n),
    "catchments(network)": lambda c, n, b: catchments(["core_sz_hitech_zone"], network=b),
    "catchments(corridor)": lambda c, n, b: catchments(["core_sz_hitech_zone"],
                                                         corridor=b, network=n),
    "corridor_extent": lambda c, n, b: cg.corridor_extent(b),
    "corridor_extent(width_step_km)": lambda c, n, b: cg.corridor_extent(
        c, width_step_km={"a": 1} if b == 5 else b),
    "distance_matrix": lambda c, n, b: cg.distance_matrix(b),
    "distance_matrix(ids)": lambda c, n, b: cg.distance_matrix(c, ids=b),
    "MultimodalNetwork.build": lambda c, n, b: cg.MultimodalNetwork.build(b),
    "MultimodalNetwork.build(street)": lambda c, n, b: cg.MultimodalNetwork.build(c, street=b),
    "MultimodalNetwork.build(as_of)": lambda c, n, b: cg.MultimodalNetwork.build(
        c, street=False, as_of=b),
    "MultimodalNetwork.build(edits)": lambda c, n, b: cg.MultimodalNetwork.build(
        c, street=False, edits=b),
    "travel_time_matrix(corridor)": lambda c, n, b: cg.travel_time_matrix(b, ["广州南"],
                                                                         ["深圳北"]),
    "travel_time_matrix(origins)": lambda c, n, b: cg.travel_time_matrix(
        c, b, ["深圳北"], street=False),
    "travel_time_matrix(mode)": lambda c, n, b: cg.travel_time_matrix(
        c, ["广州南"], ["深圳北"], mode=b, street=False),
    "travel_time_matrix(network)": lambda c, n, b: cg.travel_time_matrix(
        c, ["广州南"], ["深圳北"], network=b),
    "validate_times(corridor)": lambda c, n, b: validate.validate_times(b, "obs.csv"),
    "validate_times(observed)": lambda c, n, b: validate.validate_times(c, b),
    "read_observed": lambda c, n, b: validate.read_observed(b),
    # maps, figures, scenarios
    "corridor_map": lambda c, n, b: cg.corridor_map(b),
    "corridor_map(catchments)": lambda c, n, b: cg.corridor_map(c, catchments=b),
    "corridor_map(matrix)": lambda c, n, b: cg.corridor_map(c, matrix=b),
    "corridor_map(title)": lambda c, n, b: cg.corridor_map(c, title=b),
    "corridor_map(simplify_tolerance_m)": lambda c, n, b: cg.corridor_map(
        c, simplify_tolerance_m={"a": 1} if b == 5 else b),
    "corridor_figure": lambda c, n, b: figures.corridor_figure(b),
    "Scenario.from_yaml": lambda c, n, b: cg.Scenario.from_yaml(b),
    "run_scenario": lambda c, n, b: cg.run_scenario(b),
    "compare": lambda c, n, b: cg.compare(b, b),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_wrong_types_raise_corridor_geo_errors(name, corridor, net):
    for bad in BAD:
        with pytest.raises(CorridorGeoError):
            CALLS[name](corridor, net, bad)


def test_the_error_is_also_a_type_error_and_names_the_argument(corridor):
    with pytest.raises(ArgumentError, match=r"corridor must be a Corridor .*got int 5"):
        cg.corridor_map(5)
    with pytest.raises(TypeError, match="corridor must be a Corridor"):
        cg.MultimodalNetwork.build(5)
    with pytest.raises(ArgumentError, match="lon"):
        cg.wgs84_to_gcj02({"lon": 113.3}, 23.1)


def test_cg_catchments_stays_callable_after_its_module_is_imported():
    # `corridor_geo.catchments` is a module and the function it defines; importing the
    # module (as run_scenario, the CLI and users do) rebinds the package attribute to
    # the module. In a fresh interpreter, so that nothing bound the function first.
    import subprocess
    import sys

    code = (
        "import inspect, corridor_geo as cg\n"
        "import corridor_geo.catchments\n"
        "from corridor_geo.catchments import catchments\n"
        "assert inspect.ismodule(cg.catchments), type(cg.catchments)\n"
        "assert inspect.signature(cg.catchments) == inspect.signature(catchments)\n"
        "a = cg.catchments('core_dg_songshan_lake', bands=[10], mode='walk')\n"
        "b = catchments('core_dg_songshan_lake', bands=[10], mode='walk')\n"
        "assert a.to_json() == b.to_json() and a.area_km2.iloc[0] > 0, a\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
