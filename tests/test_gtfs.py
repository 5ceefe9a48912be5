"""GTFS export / import of the rail model (gtfs-kit)."""

from __future__ import annotations

import itertools
import zipfile

import pandas as pd
import pytest
from _gtfs_feeds import write_xrl_feed

gk = pytest.importorskip("gtfs_kit")

from corridor_geo.corridor import load_corridor  # noqa: E402
from corridor_geo.errors import DataValidationError  # noqa: E402
from corridor_geo.gtfs import apply_timetable, export_gtfs, read_gtfs  # noqa: E402
from corridor_geo.multimodal import MultimodalNetwork  # noqa: E402


@pytest.fixture(scope="module")
def network():
    return MultimodalNetwork.build(load_corridor(as_of=2021), street=False)


@pytest.fixture(scope="module")
def feed_path(network, tmp_path_factory):
    return export_gtfs(network.services, tmp_path_factory.mktemp("g") / "model.zip",
                       stations=network.stations)


def test_export_is_a_good_gtfs_feed(feed_path, network):
    names = set(zipfile.ZipFile(feed_path).namelist())
    assert {"agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt",
            "calendar.txt", "frequencies.txt", "shapes.txt"} <= names
    feed = gk.read_feed(feed_path, dist_units="km")
    q = dict(zip(gk.assess_quality(feed)["indicator"], gk.assess_quality(feed)["value"],
                 strict=True))
    assert q["assessment"] == "good feed"
    # referential integrity, checked independently of gtfs-kit
    assert set(feed.stop_times["stop_id"]) <= set(feed.stops["stop_id"])
    assert set(feed.stop_times["trip_id"]) == set(feed.trips["trip_id"])
    assert set(feed.trips["route_id"]) == set(feed.routes["route_id"])
    assert set(feed.frequencies["trip_id"]) <= set(feed.trips["trip_id"])
    assert len(feed.routes) == len(network.services)
    # times increase along every trip
    for _, g in feed.stop_times.sort_values(["trip_id", "stop_sequence"]).groupby("trip_id"):
        t = pd.to_timedelta(g["departure_time"]).dt.total_seconds().to_numpy()
        assert (t[1:] > t[:-1]).all()
    # frequencies expand to trips over the day (gtfs-kit's own expansion)
    assert len(gk.expand_frequencies(feed).trips) > len(feed.trips)
    hw = feed.frequencies.set_index("trip_id")["headway_secs"]
    svc = network.services[0]
    assert hw[f"{svc.id}#0"] == round(svc.headway_min * 60)


def test_round_trip_same_station_to_station_times(feed_path, network):
    corridor = load_corridor(as_of=2021)
    back = {s.id.removeprefix("gtfs:"): s for s in read_gtfs(feed_path, corridor=corridor)}
    assert set(back) == {s.id for s in network.services}
    n = 0
    for svc in network.services:
        got = back[svc.id]
        assert set(got.stops) == set(svc.stops)
        assert got.link_id == svc.link_id or svc.link_id not in set(corridor.links["id"])
        assert got.headway_min == pytest.approx(svc.headway_min, abs=0.01)
        for a, b in itertools.combinations(svc.stops, 2):
            assert got.in_vehicle_min(a, b) == pytest.approx(svc.in_vehicle_min(a, b), abs=0.5)
            n += 1
    assert n > 100


def test_one_way_and_rare_services_round_trip(tmp_path):
    # today's services: the December 2025 one-way patterns get one trip (direction_id 0)
    # and are read back as one-way services in the same order; a pattern running every
    # 16 h (beyond gtfs-kit's 16-bit headway_secs) is written as its departures and read
    # back with its headway
    corridor = load_corridor(as_of=2026)
    mm = MultimodalNetwork.build(corridor, street=False, walk=False)
    one_way = [s for s in mm.services if s.direction == "forward"]
    assert len(one_way) == 2
    rare = [s for s in mm.services if s.headway_min * 60 > 32767]
    assert rare
    path = export_gtfs(mm.services, tmp_path / "m.zip", stations=mm.stations)
    feed = gk.read_feed(path, dist_units="km")
    assert dict(zip(gk.assess_quality(feed)["indicator"], gk.assess_quality(feed)["value"],
                    strict=True))["assessment"] == "good feed"
    trips = feed.trips.set_index("trip_id")
    for svc in one_way:
        assert set(trips.loc[trips["route_id"] == svc.id, "direction_id"]) == {0}
    for svc in rare:
        assert not feed.frequencies["trip_id"].str.startswith(f"{svc.id}#").any()
        assert (trips["route_id"] == svc.id).sum() >= 2 * (1 + (svc.direction == "both"))
    # end-to-end times of every trip as gtfs-kit's trip stats compute them (independent
    # of read_gtfs): the model's in-vehicle time between the trip's first and last stop
    stats = gk.compute_trip_stats(feed).set_index("trip_id")
    for svc in mm.services:
        for trip_id, row in trips[trips["route_id"] == svc.id].iterrows():
            first, last = svc.stops[0], svc.stops[-1]
            if row["direction_id"] == 1:
                first, last = last, first
            assert stats.loc[trip_id, "duration"] * 60 == pytest.approx(
                svc.in_vehicle_min(first, last), abs=0.05), trip_id
    back = {s.id.removeprefix("gtfs:"): s for s in read_gtfs(path, corridor=corridor)}
    assert set(back) == {s.id for s in mm.services}
    for svc in mm.services:
        got = back[svc.id]
        assert got.direction == svc.direction
        assert got.headway_min == pytest.approx(svc.headway_min, abs=0.01)
        if svc.direction == "forward":
            assert got.stops == svc.stops
            a, b = svc.stops[0], svc.stops[-1]
            assert got.runs(a, b)
            assert not got.runs(b, a)
            assert got.in_vehicle_min(a, b) == pytest.approx(svc.in_vehicle_min(a, b), abs=0.5)


def test_timetable_replaces_model_for_covered_links(tmp_path, network):
    # a user's feed for the XRL only: one non-stop train every 20 min, 40 min on board
    folder = write_xrl_feed(tmp_path / "user")
    corridor = load_corridor(as_of=2021)
    tt = read_gtfs(folder, corridor=corridor)
    assert [(s.link_id, s.stops, s.headway_min, s.direction) for s in tt] == [
        ("gsh_xrl", ("st_gz_south", "st_sz_north"), 20.0, "forward")]  # one trip: one way
    assert tt[0].in_vehicle_min("st_gz_south", "st_sz_north") == pytest.approx(40.0)
    merged = apply_timetable(network.services, tt)
    assert all(s.scheduled for s in merged if s.link_id == "gsh_xrl")
    assert any(s.link_id == "guangshen_railway" and not s.scheduled for s in merged)
    # the network built with the feed routes on its timetable: 40 min on board, 10 min wait
    mm = MultimodalNetwork.build(corridor, street=False, timetable=tt)
    r = mm.rail_times("st_gz_south", "st_sz_north")
    assert r["in_vehicle"] == pytest.approx(40.0)
    assert r["wait"] == pytest.approx(mm.params.rail.wait_min(20.0))
    assert r["services"] == ["gtfs:R"]


def test_export_of_no_service_says_there_is_no_rail_service(tmp_path):
    # a network of a year before any railway ran (``export-gtfs --as-of 1800``) has none
    assert MultimodalNetwork.build(load_corridor(as_of=1800), street=False,
                                   walk=False).services == []
    with pytest.raises(DataValidationError, match="no rail service to export; expected at "
                                                  "least one"):
        export_gtfs([], tmp_path / "none.zip")
    assert not (tmp_path / "none.zip").exists()


def _feed_without_frequencies(folder, trips):
    """The XRL feed without frequencies.txt: each trip (id, "S1" or "S2", departure) runs
    non-stop to the other station in 40 min."""
    write_xrl_feed(folder)
    (folder / "frequencies.txt").unlink()
    (folder / "trips.txt").write_text(
        "route_id,service_id,trip_id\n" + "".join(f"R,d,{t}\n" for t, _, _ in trips))
    rows = []
    for trip, first, dep in trips:
        h, m = (int(x) for x in dep.split(":"))
        arr = f"{h + (m + 40) // 60:02d}:{(m + 40) % 60:02d}:00"
        last = "S2" if first == "S1" else "S1"
        rows += [f"{trip},{dep}:00,{dep}:00,{first},1\n", f"{trip},{arr},{arr},{last},2\n"]
    (folder / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(rows))
    return folder


@pytest.mark.parametrize(("trips", "headway"), [
    # one train each way, leaving at the same time: a single departure (60 min), not 0
    ([("A", "S1", "07:00"), ("B", "S2", "07:00")], 60.0),
    # one train each way at different times: still one departure per direction
    ([("A", "S1", "07:00"), ("B", "S2", "07:20")], 60.0),
    # three each way, 30 min apart, the return 10 min later: 30 min (not 70 / 5 = 14)
    ([("A1", "S1", "07:00"), ("A2", "S1", "07:30"), ("A3", "S1", "08:00"),
      ("B1", "S2", "07:10"), ("B2", "S2", "07:40"), ("B3", "S2", "08:10")], 30.0),
    # two trains at 07:00 and one at 08:00, one way: two distinct times an hour apart
    ([("A1", "S1", "07:00"), ("A2", "S1", "07:00"), ("A3", "S1", "08:00")], 60.0),
    # every 20 min one way, every 40 min back: the mean of the two directions
    ([("A1", "S1", "06:00"), ("A2", "S1", "06:20"), ("A3", "S1", "06:40"),
      ("B1", "S2", "06:00"), ("B2", "S2", "06:40")], 30.0),
], ids=["one-each-way-same-time", "one-each-way", "three-each-way", "same-time-twice",
        "20-and-40"])
def test_headway_without_frequencies_is_per_direction_and_positive(tmp_path, trips, headway):
    folder = _feed_without_frequencies(tmp_path / "feed", trips)
    [svc] = read_gtfs(folder)
    assert svc.headway_min == pytest.approx(headway)
    assert svc.in_vehicle_min(*svc.stops) == pytest.approx(40.0)


def test_one_trip_each_way_at_the_same_time_waits_a_single_departures_wait(tmp_path):
    # the tester's feed without frequencies.txt routed with no wait at all (headway 0)
    folder = _feed_without_frequencies(tmp_path / "feed", [("A", "S1", "07:00"),
                                                           ("B", "S2", "07:00")])
    corridor = load_corridor(as_of=2021)
    mm = MultimodalNetwork.build(corridor, street=False, timetable=read_gtfs(
        folder, corridor=corridor))
    r = mm.rail_times("st_gz_south", "st_sz_north")
    assert r["in_vehicle"] == pytest.approx(40.0)
    assert r["wait"] == pytest.approx(mm.params.rail.wait_min(60.0))
    assert r["wait"] > 0


def test_bad_feed_is_a_clear_error(tmp_path):
    with pytest.raises(DataValidationError, match="file not found"):
        read_gtfs(tmp_path / "nope.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataValidationError):
        read_gtfs(tmp_path / "empty")


def test_export_never_replaces_a_users_file(tmp_path, network):
    from corridor_geo.errors import OutputDirError

    svc = network.services[:2]
    # a zip of someone else's: refused, untouched; replaced only with overwrite=True
    theirs = tmp_path / "feed.zip"
    with zipfile.ZipFile(theirs, "w") as zf:
        zf.writestr("agency.txt", "agency_id,agency_name\nmetro,Metro\n")
    before = theirs.read_bytes()
    with pytest.raises(OutputDirError,
                       match=r"feed\.zip.*not written by corridor_geo.* use --overwrite "
                             r"\(overwrite=True\)"):
        export_gtfs(svc, theirs)
    assert theirs.read_bytes() == before
    export_gtfs(svc, theirs, overwrite=True)
    assert "stops.txt" in zipfile.ZipFile(theirs).namelist()
    # a zip corridor_geo wrote is replaced; the same services give the same bytes
    first = theirs.read_bytes()
    export_gtfs(svc, theirs)
    assert theirs.read_bytes() == first
    # a folder holding a user's file: refused; with overwrite the file is kept
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(OutputDirError, match=r"notes\.txt"):
        export_gtfs(svc, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    export_gtfs(svc, folder, overwrite=True)
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "stops.txt").exists()
    # a new folder is written whole and can be rewritten without overwrite
    new = export_gtfs(svc, tmp_path / "new")
    export_gtfs(svc, new)
    assert len(gk.read_feed(new, dist_units="km").routes) == 2


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("stop_times.txt", "S2,2", "S9,2", "trip T1: stop 'S9' is not in stops.txt"),
    ("stop_times.txt", "07:40:00,07:40:00", "7h40,7h40",
     "trip T1: arrival_time '7h40' is not a time H:MM:SS"),
    ("stop_times.txt", "07:40:00,07:40:00", "06:40:00,06:40:00",
     "trip T1: times go backwards at stop 'S2'"),
    ("stop_times.txt", "S2,2", "S1,2", "trip T1: calls at 'S1' twice"),
    ("stop_times.txt", "T1,07:00:00,07:00:00", "T1,07:00:00,06:59:00",
     "trip T1: times go backwards at stop 'S1'"),
    ("stop_times.txt", "07:40:00,07:40:00", "07:40:00,07:39:00",
     "trip T1: times go backwards at stop 'S2'"),
    ("frequencies.txt", "1200", "0", "trip T1: headway_secs 0; expected a positive number"),
    ("frequencies.txt", "1200", "-5", "trip T1: headway_secs -5; expected a positive"),
    ("stops.txt", "stop_id,stop_name", "sid,stop_name", "stops.txt has no column stop_id"),
    # one train a minute at most: a 1-s headway made every wait vanish
    ("frequencies.txt", "1200", "1", "trip T1: headway_secs 1; expected a positive number "
                                     "of seconds, at least 60"),
    # ids that tie the tables together (were a silent fallback, a skipped trip or a
    # tie the sort broke at random)
    ("stop_times.txt", "S2,2", "S2,1", "trip T1: stop_sequence 1 appears twice"),
    ("stop_times.txt", "T1,07:40:00", "T9,07:40:00",
     "trip T9: trip_id is not in trips.txt"),
    ("trips.txt", "R,d,T1", "Q,d,T1", "trip T1: route_id 'Q' is not in routes.txt"),
    ("trips.txt", "R,d,T1", "R,d,T1\nR,d,T1", "trip T1: trip_id is listed twice"),
])
def test_malformed_feed_is_one_clear_error(tmp_path, file, old, new, message):
    # user input: each problem names the feed, its file and the trip, never a bare
    # KeyError / ValueError, and never a negative weight deep in the rail graph
    folder = write_xrl_feed(tmp_path / "feed")
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1))
    with pytest.raises(DataValidationError) as info:
        read_gtfs(folder)
    msg = str(info.value)
    assert message in msg
    assert str(folder) in msg
    assert file.removesuffix(".txt") in msg


def test_feed_file_that_is_a_fifo_is_refused_without_reading(tmp_path):
    import os

    folder = write_xrl_feed(tmp_path / "feed")
    (folder / "stops.txt").unlink()
    os.mkfifo(folder / "stops.txt")  # opening it would block until a writer comes
    with pytest.raises(DataValidationError, match=r"stops\.txt.*FIFO"):
        read_gtfs(folder)


def test_zip_bomb_is_refused_before_reading(tmp_path, monkeypatch):
    import corridor_geo.gtfs as gtfs

    folder = write_xrl_feed(tmp_path / "feed")
    feed = tmp_path / "feed.zip"
    with zipfile.ZipFile(feed, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
        zf.writestr("padding.txt", "0" * 200_000)  # compresses to a few hundred bytes
    monkeypatch.setattr(gtfs, "MAX_UNZIPPED_BYTES", 100_000)
    with pytest.raises(DataValidationError, match=r"feed\.zip.*unzips to \d+ bytes"):
        read_gtfs(feed)
    monkeypatch.setattr(gtfs, "MAX_UNZIPPED_BYTES", 10_000_000)
    assert read_gtfs(feed)[0].stops == ("S1", "S2")


def test_missing_gtfs_kit_is_one_clear_error(tmp_path, monkeypatch):
    import importlib.util

    from corridor_geo.errors import ArgumentError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gtfs_kit" else real(name, *a))
    with pytest.raises(ArgumentError, match=r'pip install "corridor_geo\[gtfs\]"'):
        read_gtfs(write_xrl_feed(tmp_path / "feed"))


def _zip_folder(folder, path):
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    return path


@pytest.mark.parametrize("as_zip", [False, True])
@pytest.mark.parametrize(("file", "old", "new", "row", "field", "message"), [
    # numbers gtfs-kit cannot read (it types headway_secs Int16, stop_sequence Int32)
    ("frequencies.txt", "1200", "99999999999999999999", 1, "headway_secs",
     "trip T1: 99999999999999999999 is out of range; expected a whole number of seconds "
     "from 60 to 32767"),
    ("frequencies.txt", "1200", "40000", 1, "headway_secs",
     "trip T1: 40000 is out of range; expected a whole number of seconds from 60 to 32767"),
    ("stop_times.txt", "S2,2", "S2,99999999999999999999", 2, "stop_sequence",
     "trip T1: 99999999999999999999 is out of range; expected a whole number from 0 to "
     "2147483647"),
    ("stop_times.txt", "S2,2", "S2,abc", 2, "stop_sequence",
     "trip T1: 'abc' is not a whole number; expected a whole number"),
    ("stop_times.txt", "S2,2", "S2,2.5", 2, "stop_sequence",
     "trip T1: '2.5' is not a whole number; expected a whole number"),
    # cells gtfs-kit reads as missing or out of range
    ("stops.txt", "22.6120", "nan", 2, "stop_lat",
     "stop S2: empty or not a number; expected a latitude from -90 to 90"),
    ("stops.txt", "22.6120", "1e300", 2, "stop_lat",
     "stop S2: 1e+300 is out of range; expected a latitude from -90 to 90"),
    ("stops.txt", "113.2640", "", 1, "stop_lon",
     "stop S1: empty or not a number; expected a longitude from -180 to 180"),
    ("frequencies.txt", "1200", "nan", 1, "headway_secs",
     "trip T1: empty or not a number; expected a whole number of seconds"),
    ("trips.txt", "R,d,T1", ",d,T1", 1, "route_id", "trip T1: empty; expected a route_id"),
], ids=["headway-huge", "headway-16bit", "sequence-huge", "sequence-text", "sequence-2.5",
        "lat-nan", "lat-1e300", "lon-empty", "headway-nan", "route-empty"])
def test_unreadable_cell_names_file_row_and_field(tmp_path, as_zip, file, old, new, row,
                                                  field, message):
    # each names the feed's inner file, the 1-based data row, the field, the row's id and
    # what was expected (before: "not a readable GTFS feed: Python int too large to
    # convert to C long", "Unable to parse string 'abc' at position 1", "empty stop_lat in
    # a row"; 1e300 was read as a latitude)
    folder = write_xrl_feed(tmp_path / "feed")
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1))
    feed = _zip_folder(folder, tmp_path / "feed.zip") if as_zip else folder
    with pytest.raises(DataValidationError) as info:
        read_gtfs(feed)
    msg = str(info.value)
    assert msg.startswith(f"{feed / file}, row {row}, field {field}: {message}"), msg
    assert "\n" not in msg


def test_feed_file_not_utf8_names_row_field_and_byte(tmp_path):
    # an operator's stops.txt saved as GB18030 in its second row: the byte, not a codec error
    folder = write_xrl_feed(tmp_path / "feed")
    (folder / "stops.txt").write_bytes(
        "stop_id,stop_name,stop_lat,stop_lon\nS1,广州南,22.9914,113.2640\n".encode()
        + "S2,深圳北,22.6120,114.0239\n".encode("gb18030"))
    byte = "深".encode("gb18030")[0]
    feed = _zip_folder(folder, tmp_path / "feed.zip")
    with pytest.raises(DataValidationError) as info:
        read_gtfs(feed)
    assert str(info.value) == (
        f"{feed / 'stops.txt'}, row 2, field stop_name: stop S2: byte 0x{byte:02x} is not "
        "UTF-8; expected a UTF-8 text file (GTFS files are UTF-8: save it as UTF-8)")


def test_csv_line_with_too_many_fields_names_the_file(tmp_path):
    folder = write_xrl_feed(tmp_path / "feed")
    text = (folder / "stop_times.txt").read_text()
    (folder / "stop_times.txt").write_text(text.replace("S2,2", "S2,2,9", 1))
    with pytest.raises(DataValidationError) as info:
        read_gtfs(folder)
    msg = str(info.value)
    assert msg.startswith(f"{folder / 'stop_times.txt'}: not a readable CSV table"), msg
    assert "Expected 5 fields in line 3, saw 6" in msg
    assert "\n" not in msg


def test_validate_gtfs_cli_unreadable_cell_is_one_line(tmp_path):
    from click.testing import CliRunner

    from corridor_geo.cli import main

    folder = write_xrl_feed(tmp_path / "feed", both_ways=True)
    text = (folder / "stop_times.txt").read_text()
    (folder / "stop_times.txt").write_text(text.replace("S2,2", "S2,99999999999999999999", 1))
    feed = _zip_folder(folder, tmp_path / "feed.zip")
    r = CliRunner().invoke(main, ["--quiet", "validate-gtfs", str(feed)])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        f"corridor-geo: error: {feed / 'stop_times.txt'}, row 2, field stop_sequence: "
        "trip T1: 99999999999999999999 is out of range; expected a whole number from 0 to "
        "2147483647 (the stop's order in its trip)"]
