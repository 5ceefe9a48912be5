"""A hand-written GTFS feed shared by the GTFS, CLI and scenario tests."""

from __future__ import annotations

from pathlib import Path


def write_xrl_feed(folder: Path, *, both_ways: bool = False) -> Path:
    """Write a user's feed for the XRL: one non-stop Guangzhou South - Shenzhen North
    train every 20 min (06:00-22:00), 40 min on board (the model's fastest takes about 30).

    With *both_ways* a second trip runs back, so the service is not one-way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.txt").write_text(
        "agency_id,agency_name,agency_url,agency_timezone\na,A,https://x.org,Asia/Shanghai\n")
    (folder / "stops.txt").write_text(
        "stop_id,stop_name,stop_lat,stop_lon\nS1,广州南,22.9914,113.2640\n"
        "S2,深圳北,22.6120,114.0239\n")
    (folder / "routes.txt").write_text("route_id,agency_id,route_short_name,route_type\n"
                                       "R,a,R,2\n")
    trips = ["T1"] + (["T2"] if both_ways else [])
    (folder / "trips.txt").write_text(
        "route_id,service_id,trip_id\n" + "".join(f"R,d,{t}\n" for t in trips))
    (folder / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,"
        "end_date\nd,1,1,1,1,1,1,1,20200101,20301231\n")
    back = "T2,07:20:00,07:20:00,S2,1\nT2,08:00:00,08:00:00,S1,2\n" if both_ways else ""
    (folder / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,07:00:00,07:00:00,S1,1\nT1,07:40:00,07:40:00,S2,2\n" + back)
    (folder / "frequencies.txt").write_text(
        "trip_id,start_time,end_time,headway_secs\n"
        + "".join(f"{t},06:00:00,22:00:00,1200\n" for t in trips))
    return folder
