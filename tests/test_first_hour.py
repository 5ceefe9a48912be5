"""A new user's first hour, from the wheel (issue 15, item 6).

Builds the wheel from this checkout (offline: ``--no-build-isolation`` with the
``hatchling`` of the test extra), installs it with ``--no-deps --no-index`` into a fresh
virtual environment whose dependencies come from the running environment through a
``.pth`` line (keeps CI fast; the package itself, its ``geodata/`` and ``SOURCES.md`` come
only from the wheel: the checkout is not on ``sys.path`` and the test checks that the
imported package lives in the new environment), then runs ``corridor-geo demo``, one
``matrix`` and one ``catchments`` call from an unrelated, empty folder and checks the
outputs against published figures (the plan's 11,836 km², the XRL's ~102 km between
Guangzhou South and Shenzhen North) and against each other.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    pytest.importorskip("hatchling", reason="the test extra's hatchling builds the wheel")
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a source checkout")
    base = tmp_path_factory.mktemp("first_hour")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CORRIDOR_GEO_CACHE_DIR=str(base / "cache"), MPLBACKEND="Agg",
               CORRIDOR_GEO_SHARED_DATA=str(base / "no_shared_data"), PYTHONNOUSERSITE="1")
    # 1. the wheel, built offline from the checkout
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", str(base / "dist"), str(ROOT)], cwd=base, env=env)
    wheel = next((base / "dist").glob("corridor_geo-*.whl"))
    # 2. a fresh venv: the wheel's files only; dependencies from the running environment
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base, env=env)
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=base, env=env).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "_first_hour_deps.pth").write_text("\n".join(sorted(deps)) + "\n",
                                                        encoding="utf-8")
    # --ignore-installed: the running environment (visible through the .pth line) may hold
    # a regular install of the same version, which pip would take as already satisfied
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
          "--no-index", "--ignore-installed", str(wheel)], cwd=base, env=env)
    cli = venv / ("Scripts/corridor-geo.exe" if os.name == "nt" else "bin/corridor-geo")
    work = base / "somewhere_else"
    work.mkdir()
    return {"wheel": wheel, "py": py, "cli": cli, "work": work, "env": env,
            "purelib": Path(purelib)}


def test_wheel_holds_data_sources_and_licence(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for f in ("places.csv", "stations.csv", "links.csv", "link_stops.csv", "districts.csv",
              "boundaries_default.npz", "boundaries_default.json", "roads_default.npz"):
        assert f"corridor_geo/geodata/{f}" in names
    assert "corridor_geo/SOURCES.md" in names
    assert "corridor_geo/LICENSE" in names
    assert not any(n.startswith(("tests/", "geodata/")) for n in names)
    # the installed package (not the checkout) is what runs, with its own data
    out = _run([str(installed["py"]), "-c",
                "import corridor_geo as cg; from corridor_geo import settings as s; "
                "print(cg.__file__); print(s.geodata_dir()); print(s.sources_file()); "
                "print(len(cg.load_corridor().unlocated_nodes))"],
               cwd=installed["work"], env=installed["env"]).stdout.split("\n")
    for line in out[:3]:
        assert Path(line).is_relative_to(installed["purelib"]), line
    assert Path(out[2]).read_text(encoding="utf-8").startswith("# Data sources and licences")
    assert out[3] == "30"


def test_demo(installed):
    r = _run([str(installed["cli"]), "demo", "--out", "out/demo"], cwd=installed["work"],
             env=installed["env"])
    out = installed["work"] / "out" / "demo"
    assert {p.name for p in out.iterdir()} >= {"map.html", "extent.json", "width_profile.csv",
                                               "places.csv", "links.csv", "distances.csv"}
    ext = json.loads((out / "extent.json").read_text(encoding="utf-8"))
    # the plan: 11,836 km2 (the land area of the three cities) and ~180 km
    assert ext["area_km2"] == pytest.approx(11836, rel=0.03)
    assert ext["plan_axis_length_km"] == pytest.approx(180, rel=0.05)
    assert r.stdout.count("km2") == 1  # one area figure printed
    places = list(csv.DictReader(io.StringIO((out / "places.csv").read_text(encoding="utf-8"))))
    kinds = [p["kind"] for p in places]
    assert kinds.count("core_platform") == 10
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "OpenStreetMap contributors" in html  # the attribution (© is JSON-escaped)
    assert "SOURCES.md" in html  # which the wheel ships (test above)
    assert "Songshan Lake" in html


def test_matrix(installed):
    r = _run([str(installed["cli"]), "matrix", "--mode", "transit", "--from", "广州南", "天河",
              "--to", "深圳北", "--format", "csv"], cwd=installed["work"], env=installed["env"])
    rows = {(x["from_id"], x["to_id"]): x for x in csv.DictReader(io.StringIO(r.stdout))}
    assert set(rows) == {("st_gz_south", "st_sz_north"), ("dist_gz_tianhe", "st_sz_north")}
    xrl = rows[("st_gz_south", "st_sz_north")]
    # Guangzhou South -> Shenzhen North on the XRL: 102 km of line, ~30-40 min non-stop
    assert 20 <= float(xrl["in_vehicle_min"]) <= 60
    assert float(xrl["distance_km"]) == pytest.approx(102, rel=0.15)
    parts = sum(float(xrl[k]) for k in ("access_min", "wait_min", "in_vehicle_min",
                                        "transfer_min", "egress_min"))
    assert float(xrl["minutes"]) == pytest.approx(parts, abs=0.2)
    # from the Tianhe district point (Zhujiang New Town) it takes longer than from the station
    assert float(rows[("dist_gz_tianhe", "st_sz_north")]["minutes"]) > float(xrl["minutes"])


def test_catchments(installed):
    _run([str(installed["cli"]), "catchments", "--origins", "Songshan Lake", "--mode", "drive",
          "--bands", "15,30", "--out", "out/cat"], cwd=installed["work"], env=installed["env"])
    out = installed["work"] / "out" / "cat"
    gdf = gpd.read_file(out / "catchments.gpkg", layer="catchments")
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["origin_id"]) == ["core_dg_songshan_lake"] * 2
    assert list(gdf["band_min"]) == [15, 30]
    a15, a30 = gdf["area_km2"]
    # 15 min can reach at most a disc of 15 min at 120 km/h; 30 min covers more than 15
    assert 0 < a15 < a30 < 3.1416 * 60**2
    assert (out / "map.html").stat().st_size > 0
