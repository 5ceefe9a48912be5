"""Tests of corridor_geo.figures: PNGs written, deterministic, values drawn, bad input."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from _mapdata import synthetic_catchments, synthetic_corridor, synthetic_matrix

from corridor_geo import figures
from corridor_geo.errors import DataValidationError


@pytest.fixture(scope="module")
def corridor():
    return synthetic_corridor(boundary_vertices=400)


def _is_png_with_content(path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(path)
    assert img[..., :3].std() > 0.02


def test_corridor_figure_is_deterministic(tmp_path, corridor):
    a = tmp_path / "a.png"
    b = tmp_path / "b.png"
    figures.corridor_figure(corridor, axis=corridor.axis, path=a)
    figures.corridor_figure(corridor, axis=corridor.axis, path=b)
    _is_png_with_content(a)
    assert a.read_bytes() == b.read_bytes()
    assert b"Software" not in a.read_bytes()[:200]


def test_corridor_figure_draws_every_element(corridor):
    fig = figures.corridor_figure(corridor, axis=corridor.axis)
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    for expected in ["core platforms", "innovation nodes", "main axis", "high-speed rail",
                     "intercity rail (planned)", "expressway"]:
        assert expected in labels
    names = {t.get_text() for t in ax.texts}
    assert "Songshan Lake" in names
    assert "20 km" in names


def test_matrix_heatmap_values(tmp_path, corridor):
    cells = synthetic_matrix(corridor)
    path = tmp_path / "m.png"
    fig = figures.matrix_heatmap(cells, path=path,
                                 labels=dict(zip(corridor.platforms["id"],
                                                 corridor.platforms["name_en"], strict=True)))
    _is_png_with_content(path)
    data = fig.axes[0].images[0].get_array()
    n = len(corridor.platforms)
    assert data.shape == (n, n)
    row = cells[(cells["from_id"] == "core_gz_tianhe") & (cells["to_id"] == "core_sz_dapeng")]
    i, j = 0, n - 1  # order of first appearance = platform order
    assert data[i, j] == pytest.approx(float(row["minutes"].iloc[0]))
    assert np.allclose(np.diag(data), 0.0)


def test_matrix_heatmap_needs_one_mode(corridor):
    cells = synthetic_matrix(corridor)
    both = pd.concat([cells.assign(mode="walk"), cells])
    with pytest.raises(DataValidationError, match="several modes"):
        figures.matrix_heatmap(both)
    with pytest.raises(DataValidationError, match="no cells for mode 'bike'"):
        figures.matrix_heatmap(cells, mode="bike")
    with pytest.raises(DataValidationError, match="minutes"):
        figures.matrix_heatmap(cells.drop(columns="minutes"))


def test_catchment_bars(tmp_path):
    cat = synthetic_catchments(n_origins=3, bands=(30, 60), cell_m=1000)
    path = tmp_path / "c.png"
    fig = figures.catchment_bars(cat, path=path)
    _is_png_with_content(path)
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == sorted(round(v, 6) for v in cat["area_km2"])
    with pytest.raises(DataValidationError, match="area_km2"):
        figures.catchment_bars(cat.drop(columns="area_km2"))
