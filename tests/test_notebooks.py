"""The notebooks in notebooks/: committed without outputs, equal to their generator, and runnable.

Execution uses nbclient with the ``python3`` kernel of the test environment (ipykernel is
in the test extras), a temporary working directory (the notebooks must not depend on
being run from ``notebooks/``; 03 finds ``scenarios/`` in its folder or a parent, so the
test copies it there) and the session's isolated cache (inherited through the
environment, see conftest.py).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 300
EXPECTED = ["01_corridor_overview.ipynb", "02_catchments_and_travel_times.ipynb",
            "03_scenarios.ipynb"]


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "make_notebooks.py"
    spec = importlib.util.spec_from_file_location("make_notebooks", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_expected_notebooks_present():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path: Path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb.metadata
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook without code cells"
    for k, cell in enumerate(code):
        assert cell["outputs"] == [], f"code cell {k} has outputs"
        assert cell["execution_count"] is None, f"code cell {k} has an execution count"
    # readable for planners: opens with a title and explains itself in markdown
    assert raw["cells"][0]["cell_type"] == "markdown"
    assert "".join(raw["cells"][0]["source"]).startswith("# ")
    n_md = sum(c["cell_type"] == "markdown" for c in raw["cells"])
    assert n_md >= len(code) // 2


def test_notebooks_match_generator(tmp_path: Path):
    gen = _generator()
    assert sorted(gen.NOTEBOOKS) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert path.read_text(encoding="utf-8") == gen.render(path.name), (
            f"{path.name} differs from scripts/make_notebooks.py: run "
            "python scripts/make_notebooks.py")
    # the script's --check mode agrees, and writing is reproducible byte for byte
    assert gen.main(["--check"]) == 0
    assert gen.main(["--out", str(tmp_path)]) == 0
    for path in NOTEBOOKS:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    (tmp_path / NOTEBOOKS[0].name).write_text("{}", encoding="utf-8")
    assert gen.main(["--check", "--out", str(tmp_path)]) == 1


def test_generator_cells_are_valid_python():
    gen = _generator()
    for name, cells in gen.NOTEBOOKS.items():
        for k, (kind, source) in enumerate(cells, 1):
            if kind != "code":
                continue
            body = "\n".join(line for line in source.splitlines()
                             if not line.lstrip().startswith("%"))
            compile(body, f"{name}:cell{k}", "exec")


def _execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, startup_timeout=120,
                            kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # offline on the bundled defaults: no shared data, no network access configured
    monkeypatch.setenv("CORRIDOR_GEO_SHARED_DATA", str(tmp_path / "no_shared_data"))
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    work = tmp_path / "work"
    work.mkdir()
    nb = _execute(path, work)

    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]
    # every code cell ran, in order
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    html = [o["data"]["text/html"] for o in outputs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o["data"]]
    maps = [h for h in html if "leaflet" in h.lower()]
    assert maps, "no folium map displayed"
    assert all("OpenStreetMap contributors" in h for h in maps)
    if path.name != "03_scenarios.ipynb":
        pngs = [o for o in outputs if o.output_type in ("execute_result", "display_data")
                and "image/png" in o["data"]]
        assert pngs, "no figure displayed"
    if path.name == "03_scenarios.ipynb":  # run_scenario(out="out/...") wrote into the cwd
        summary = json.loads((work / "out" / "baseline_2025" / "summary.json").read_text())
        assert summary["scenario"]["name"] == "baseline_2025"


def _gtfs_cell(gen: ModuleType) -> str:
    cells = [src for kind, src in gen.NOTEBOOKS["02_catchments_and_travel_times.ipynb"]
             if kind == "code" and "read_gtfs" in src]
    assert len(cells) == 1
    return str(cells[0])


@pytest.mark.parametrize("installed", [False, True], ids=["without_gtfs_kit", "with_gtfs_kit"])
def test_gtfs_cell_runs_on_a_plain_install(installed: bool, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]):
    # notebook 02's GTFS cell: gtfs-kit is an extra (corridor_geo[gtfs]), and the README
    # says the notebooks run top to bottom on a plain install; without it the read-back
    # is skipped with a note (it raised ArgumentError: "... needs the optional package
    # gtfs-kit"), with it the feed is read back
    import corridor_geo as cg

    if installed:
        pytest.importorskip("gtfs_kit")
    else:
        monkeypatch.setitem(sys.modules, "gtfs_kit", None)  # find_spec -> None
    corridor = cg.load_corridor()
    mm = cg.MultimodalNetwork.build(corridor, street=False, walk=False)
    exec(_gtfs_cell(_generator()), {"mm": mm, "corridor": corridor})
    out = capsys.readouterr().out
    assert f"wrote model_gtfs.zip: {len(mm.services)} services" in out
    if installed:
        assert f"{len(mm.services)} services read back" in out
    else:
        assert "reading it back skipped: gtfs-kit is not installed" in out
        assert 'pip install "corridor_geo[gtfs]"' in out
