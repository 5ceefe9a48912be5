"""Network cache: round trip, truncated/corrupt files, stale sources."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest

from corridor_geo import settings
from corridor_geo.cache import CacheWarning, read_network, save_network
from corridor_geo.errors import CacheError
from corridor_geo.graph import load_network
from corridor_geo.testing import shared_data_path

LONGGANG = "osm/shenzhen_longgang_center_2019-11.osm"


@pytest.fixture(scope="module")
def net():
    return load_network(shared_data_path(LONGGANG), cache=False)


def _equal(a, b):
    for k in ("osmid", "lon", "lat", "x", "y", "indptr", "source", "target", "length_m",
              "travel_time_s", "way_id", "oneway", "maxspeed_kmh", "geom_offsets", "geom_lon",
              "geom_lat"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k), err_msg=k)
    assert list(a.highway) == list(b.highway)
    assert list(a.name) == list(b.name)
    assert a.mode == b.mode
    assert a.meta == b.meta


def test_round_trip_and_determinism(net, tmp_path):
    save_network(net, tmp_path / "a")
    save_network(net, tmp_path / "b")
    back = read_network(tmp_path / "a")
    _equal(net, back)
    a, b = (tmp_path / d / "arrays.npz" for d in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    assert json.loads((tmp_path / "a" / "meta.json").read_text())["format_version"] == 2
    assert [g.wkt for g in back.geometry[:3]] == [g.wkt for g in net.geometry[:3]]


def test_truncated_or_missing_files_raise(net, tmp_path):
    d = save_network(net, tmp_path / "c")
    data = (d / "arrays.npz").read_bytes()
    (d / "arrays.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CacheError, match="corrupt"):
        read_network(d)
    (d / "meta.json").write_text("{")
    with pytest.raises(CacheError, match=r"meta\.json"):
        read_network(d)
    with pytest.raises(CacheError):
        read_network(tmp_path / "missing")


def test_pickled_object_arrays_refused(net, tmp_path):
    d = save_network(net, tmp_path / "p")
    with np.load(d / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["highway_categories"] = np.array([object()], dtype=object)
    np.savez(d / "arrays.npz", **arrays)
    with pytest.raises(CacheError, match="corrupt"):
        read_network(d)


def _cache_dirs():
    return sorted((settings.cache_dir() / "networks").glob("drive-*"))


def test_load_network_rebuilds_truncated_cache(tmp_path):
    src = tmp_path / "lg.osm"
    shutil.copy(shared_data_path(LONGGANG), src)
    first = load_network(src)
    d = settings.cache_dir() / "networks" / first.meta["cache_key"]
    data = (d / "arrays.npz").read_bytes()
    (d / "arrays.npz").write_bytes(data[:1000])
    with pytest.warns(CacheWarning, match="corrupt.*rebuilding"):
        again = load_network(src)
    np.testing.assert_array_equal(again.travel_time_s, first.travel_time_s)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_network(src)  # now valid again: no warning


def test_load_network_rebuilds_stale_cache(tmp_path):
    src = tmp_path / "lg2.osm"
    text = shared_data_path(LONGGANG).read_text(encoding="utf-8")
    src.write_text(text, encoding="utf-8")
    first = load_network(src)
    # drop the ways' maxspeed/oneway-less content: remove one way -> different network
    cut = text.index("<way ")
    end = text.index("</way>", cut) + len("</way>")
    src.write_text(text[:cut] + text[end:], encoding="utf-8")
    with pytest.warns(CacheWarning, match="stale"):
        second = load_network(src)
    assert second.meta["source_sha256"] != first.meta["source_sha256"]


# ------------------------------------------------------------------ tampered entries (issue 13)

def _toy(mode: str = "drive", scale: float = 1.0):
    from corridor_geo.network import Network

    return Network.from_edges(osmid=[1, 2, 3], lon=[114.0, 114.01, 114.02], lat=[22.5] * 3,
                              source=[0, 1], target=[1, 2], length_m=[1028.0, 1028.0],
                              travel_time_s=[74.0 * scale, 74.0 * scale],
                              highway=["primary"] * 2, name=["", ""], mode=mode)


def _entry(key):
    from corridor_geo.cache import cache_key

    return settings.cache_dir() / "networks" / f"{key['network_type']}-{cache_key(key)}"


def _rewrite(d, **changes):
    with np.load(d / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    with (d / "arrays.npz").open("wb") as fh:
        np.savez(fh, **arrays)


def _load(key, mode="drive"):
    from corridor_geo.cache import load_or_build

    return load_or_build(key, lambda: _toy(mode))


@pytest.mark.parametrize("tamper", ["times_x0.1_valid_file", "nan_times",
                                    "target_out_of_range", "negative_times"])
def test_tampered_arrays_are_rebuilt_not_used(tamper):
    key = {"network_type": "drive", "test": f"tamper-{tamper}"}
    first = _load(key)
    d = _entry(key)
    tt = first.travel_time_s
    if tamper == "times_x0.1_valid_file":  # the case: 20.6 instead of 75.0 min
        _rewrite(d, travel_time_s=tt * 0.1)
    elif tamper == "nan_times":
        _rewrite(d, travel_time_s=np.full_like(tt, np.nan))
    elif tamper == "negative_times":
        _rewrite(d, travel_time_s=-tt)
    else:
        _rewrite(d, target=np.array([1, 99], dtype=np.int32))
    if tamper != "times_x0.1_valid_file":  # fix up the recorded hash: values are checked
        from corridor_geo._io import file_sha256

        meta = json.loads((d / "meta.json").read_text())
        meta["arrays_sha256"] = file_sha256(d / "arrays.npz")
        (d / "meta.json").write_text(json.dumps(meta))
    with pytest.warns(CacheWarning, match="rebuilding"):
        again = _load(key)
    np.testing.assert_array_equal(again.travel_time_s, [74.0, 74.0])


def test_entry_under_another_key_or_mode_is_rebuilt():
    walk_key = {"network_type": "walk", "test": "swap"}
    drive_key = {"network_type": "drive", "test": "swap"}
    _load(walk_key, mode="walk")
    d_drive = _entry(drive_key)
    shutil.rmtree(d_drive, ignore_errors=True)
    shutil.copytree(_entry(walk_key), d_drive)  # a walk entry placed under the drive key
    with pytest.warns(CacheWarning, match="built for key"):
        net = _load(drive_key)
    assert net.mode == "drive"
    # meta.json claiming another mode, with the key fixed up to match
    meta = json.loads((d_drive / "meta.json").read_text())
    meta["mode"] = "walk"
    (d_drive / "meta.json").write_text(json.dumps(meta))
    with pytest.warns(CacheWarning, match="holds a 'walk' network"):
        assert _load(drive_key).mode == "drive"


def test_read_network_checks_hash_and_values(tmp_path):
    d = save_network(_toy(), tmp_path / "n")
    _rewrite(d, travel_time_s=np.array([7.4, 7.4]))
    with pytest.raises(CacheError, match="content hash"):
        read_network(d)
