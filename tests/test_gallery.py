"""docs/gallery/ is current: every image shows what the code makes now from the defaults.

scripts/make_gallery.py rebuilds each map's HTML and each figure's PNG (deterministic,
byte for byte) and compares their SHA-256 with docs/gallery/manifest.json. The map
screenshots themselves depend on the browser's fonts, so the HTML they were taken from
is what is compared. A map or figure drawn differently from the same results fails; new
results (the travel-time model changed) skip with the names of the images to refresh.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import matplotlib.image
import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"


def _script():
    spec = importlib.util.spec_from_file_location("make_gallery",
                                                  ROOT / "scripts" / "make_gallery.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gallery_lists_every_kind_and_images_are_not_blank():
    gallery = _script()
    manifest = json.loads((GALLERY / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["items"]) == set(gallery.ITEMS)
    readme = (GALLERY / "README.md").read_text(encoding="utf-8")
    for name, entry in manifest["items"].items():
        img = matplotlib.image.imread(GALLERY / entry["image"])
        assert img[..., :3].std() > 0.05, name
        assert f"({entry['image']})" in readme
        if gallery.ITEMS[name][1] == "map":
            assert img.shape[:2] == (gallery.WINDOW[1], gallery.WINDOW[0])


@pytest.mark.slow
def test_gallery_is_current(tmp_path):
    gallery = _script()
    manifest = json.loads((GALLERY / "manifest.json").read_text(encoding="utf-8"))
    if manifest["versions"] != gallery.versions():
        pytest.skip(f"gallery rendered with {manifest['versions']}, installed "
                    f"{gallery.versions()}: its bytes are comparable only between equals")
    entries = gallery.manifest_entries(gallery.build_sources(tmp_path))
    stale = gallery.stale_items(manifest, entries)
    drawn = {k: v for k, v in stale.items() if v != "the results it shows changed"}
    assert not drawn, ("docs/gallery is stale; run `python scripts/make_gallery.py` and "
                       f"look at the images before committing: {drawn}")
    if stale:
        # The travel-time model changes often (other modules): a change of results alone
        # is reported, not failed, so that model work is not blocked on a browser.
        pytest.skip(f"gallery shows earlier results for {sorted(stale)}: regenerate it with "
                    "`python scripts/make_gallery.py`")
