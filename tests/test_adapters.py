"""The adapters to other libraries' private internals fail loudly when a library changes.

Every private access of corridor_geo lives in ``corridor_geo._adapters``; these tests pin
what each adapter relies on, with the library's real objects.
"""

from __future__ import annotations

import click
import folium
from click.testing import CliRunner

from corridor_geo import _adapters
from corridor_geo.cli._options import MultiValueOption


def test_osmnx_network_filter_is_an_overpass_way_filter():
    drive = _adapters.osmnx_network_filter("drive")
    walk = _adapters.osmnx_network_filter("walk")
    assert drive.startswith('["highway"]')
    assert "footway" in drive  # drive excludes footways (listed in the negated regex)
    assert drive != walk


def test_osmnx_overpass_errors_are_exceptions_osmnx_raises():
    import osmnx

    errors = _adapters.osmnx_overpass_errors()
    assert [e.__name__ for e in errors] == ["InsufficientResponseError",
                                            "ResponseStatusCodeError"]
    assert all(e.__module__.startswith("osmnx") for e in errors)
    assert osmnx.__version__.startswith("2.")


def test_branca_children_and_parent_on_a_folium_map():
    m = folium.Map(location=[22.5, 114.0], tiles=None)
    folium.Marker([22.5, 114.0]).add_to(m)
    folium.LayerControl().add_to(m)
    children = _adapters.branca_children(m)
    names = list(children)
    assert len(names) == 2
    children.move_to_end(names[0])  # ordered and live: the map renders the new order
    assert list(_adapters.branca_children(m)) == [names[1], names[0]]
    child = folium.Element("<b>x</b>")
    _adapters.branca_set_parent(child, m)
    assert child._parent is m


def test_branca_element_ids_are_the_ids_get_name_uses():
    m = folium.Map(location=[22.5, 114.0], tiles=None)
    marker = folium.Marker([22.5, 114.0], popup="p").add_to(m)
    m.get_root().render()
    ids = _adapters.branca_element_ids(m.get_root())
    for element in (m, marker):
        name = element.get_name()
        assert name.rsplit("_", 1)[1] in ids, name
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_click_parser_entry_lets_an_option_take_several_values():
    @click.command()
    @click.option("--to", cls=MultiValueOption)
    @click.option("--x", is_flag=True)
    def cmd(to: tuple[str, ...], x: bool) -> None:
        click.echo(",".join(to) + f"|{x}")

    r = CliRunner().invoke(cmd, ["--to", "a", "b", "--x"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "a,b|True"
