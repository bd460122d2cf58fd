"""Session events (issue 8, R4): append with validation and span extension, comments, the filter that
lists, counts and deletes, the summary and the timeline agreeing with the count, roles, and the
statement count of appending 1 vs 10,000 events."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from schema.timefmt import iso

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

APPEND = """mutation($s: ID!, $e: [SessionEventInput!]!, $x: Boolean) {
  data: appendSessionEvents(sessionId: $s, events: $e, extendSession: $x) {
    id eventType name startTime endTime value state comment latitude longitude
  }
}"""
COMMENTS = """mutation($s: ID!, $c: [String!]!, $a: String!, $b: String!) {
  data: addSessionComments(sessionId: $s, comments: $c, startTime: $a, endTime: $b) {
    id eventType comment startTime endTime
  }
}"""
DELETE = "mutation($w: SessionEventWhere!) { data: deleteSessionEvents(where: $w) }"
LIST = """query($w: SessionEventWhere!, $first: PageSize!, $skip: Int!) {
  data: sessionEvents(where: $w, first: $first, skip: $skip) { id }
}"""
COUNT = "query($w: SessionEventWhere!) { data: countSessionEvents(where: $w) }"
SPAN = "query($id: ID!) { session(id: $id) { startTime endTime } }"
SUMMARY = """query($id: ID!, $names: [String!], $a: String, $b: String) {
  session(id: $id) { eventSummary(names: $names, startTime: $a, endTime: $b) {
    name eventType count firstTime lastTime totalDuration min max average sum states { state count } } }
}"""
TIMELINE = """query($id: ID!, $r: Float, $a: String, $b: String, $names: [String!]) {
  session(id: $id) { timeline(resolution: $r, startTime: $a, endTime: $b, names: $names) {
    time name eventCount state value } }
}"""


def at(seconds: float) -> str:
    return iso(T0 + timedelta(seconds=seconds))


async def _setup(seeder, role: str = "TEAM_MANAGER", archived: bool = False, **session_fields):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: role}, archived=archived)
    session_fields.setdefault("start_time", T0)
    session_fields.setdefault("end_time", T0 + timedelta(seconds=600))
    session = await seeder.session(project, **session_fields)
    return project, session, key


async def _all_ids(api, key: str, where: dict) -> list[str]:
    ids, skip = [], 0
    while True:
        page = (await api.data(LIST, {"w": where, "first": 100, "skip": skip}, key=key))["data"]
        ids += [e["id"] for e in page]
        if len(page) < 100:
            return ids
        skip += 100


def _codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_every_kind_of_event_is_appended_in_input_order(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    events = [
        {"eventType": "INTERVAL", "name": "weather", "startTime": at(10), "endTime": at(70), "state": "rain"},
        {"eventType": "POINT", "name": "hard_brake", "startTime": at(20)},
        {"eventType": "SCALAR", "name": "speed", "startTime": at(5), "value": 12.5},
        {"eventType": "COMMENT", "startTime": at(30), "endTime": at(40), "comment": "pedestrian"},
        {"eventType": "GEOLOCATION", "name": "gps", "startTime": at(1), "latitude": 48.85, "longitude": 2.35},
    ]
    rows = (await api.data(APPEND, {"s": session.id, "e": events}, key=key))["data"]
    assert [r["eventType"] for r in rows] == ["INTERVAL", "POINT", "SCALAR", "COMMENT", "GEOLOCATION"]
    assert rows[0]["state"] == "rain" and rows[0]["endTime"] == at(70)
    assert rows[2]["value"] == 12.5 and rows[3]["comment"] == "pedestrian"
    assert (rows[4]["latitude"], rows[4]["longitude"]) == (48.85, 2.35)
    assert await _all_ids(api, key, {"sessionIdIn": [session.id]}) == [rows[i]["id"] for i in (4, 2, 0, 1, 3)]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"eventType": "INTERVAL", "startTime": at(10), "endTime": at(5)}, "before startTime"),
        ({"eventType": "INTERVAL", "startTime": at(10)}, "needs an endTime"),
        ({"eventType": "SCALAR", "startTime": at(10)}, "needs a value"),
        ({"eventType": "COMMENT", "startTime": at(10)}, "needs a comment"),
        ({"eventType": "GEOLOCATION", "startTime": at(1), "latitude": 91, "longitude": 0}, "latitude 91"),
        ({"eventType": "GEOLOCATION", "startTime": at(1), "latitude": 0, "longitude": -181}, "longitude -181"),
        ({"eventType": "GEOLOCATION", "startTime": at(1), "latitude": 1}, "latitude and a longitude"),
        ({"eventType": "POINT", "startTime": "yesterday"}, "events[2].startTime"),
        ({"eventType": "POINT", "startTime": at(1), "jsonAuxMetadata": "{oops"}, "events[2].jsonAuxMetadata"),
    ],
)
async def test_a_bad_event_is_named_and_nothing_is_written(api, seeder, bad, message) -> None:
    _, session, key = await _setup(seeder)
    good = {"eventType": "POINT", "startTime": at(1)}
    error = await api.error(APPEND, {"s": session.id, "e": [good, good, bad]}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "events[2]" in error["message"] and message in error["message"], error
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [session.id]}}, key=key))["data"] == 0


async def test_events_outside_the_span_extend_it_or_are_refused(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    late = {"eventType": "INTERVAL", "startTime": at(550), "endTime": at(900), "state": "dusk"}
    early = {"eventType": "POINT", "startTime": at(-30)}
    error = await api.error(
        APPEND, {"s": session.id, "e": [{"eventType": "POINT", "startTime": at(1)}, late], "x": False}, key=key
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "events[1]" in error["message"]
    assert (await api.data(SPAN, {"id": session.id}, key=key))["session"] == {"startTime": at(0), "endTime": at(600)}
    await api.data(APPEND, {"s": session.id, "e": [late, early]}, key=key)
    assert (await api.data(SPAN, {"id": session.id}, key=key))["session"] == {"startTime": at(-30), "endTime": at(900)}
    # Inside the (extended) span, extendSession:false is fine.
    await api.data(APPEND, {"s": session.id, "e": [early], "x": False}, key=key)
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [session.id]}}, key=key))["data"] == 3


async def test_an_id_already_taken_is_a_conflict_and_nothing_is_written(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    taken = await api.data(APPEND, {"s": session.id, "e": [{"eventType": "POINT", "startTime": at(1)}]}, key=key)
    again = [
        {"eventType": "POINT", "startTime": at(2)},
        {"eventType": "POINT", "startTime": at(3), "id": taken["data"][0]["id"]},
    ]
    assert (await api.error(APPEND, {"s": session.id, "e": again}, key=key))["extensions"]["code"] == "CONFLICT"
    twice = [
        {"eventType": "POINT", "startTime": at(2), "id": "e-1"},
        {"eventType": "POINT", "startTime": at(3), "id": "e-1"},
    ]
    error = await api.error(APPEND, {"s": session.id, "e": twice}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "events[1]" in error["message"]
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [session.id]}}, key=key))["data"] == 1


async def test_session_events_field_filters_by_type_through_the_same_condition(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    await seeder.event(session, event_type="interval ", start_time=T0, end_time=T0 + timedelta(seconds=5))
    await seeder.event(session, event_type="POINT")
    query = """query($id: ID!, $t: [SessionEventType!]) {
      session(id: $id) {
        a: events(first: 10, skip: 0, eventTypeIn: $t) { eventType }
        b: events(first: 10, skip: 0) { id }
      }
    }"""
    body = (await api.data(query, {"id": session.id, "t": ["INTERVAL"]}, key=key))["session"]
    assert body["a"] == [{"eventType": "INTERVAL"}] and len(body["b"]) == 2
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [session.id], "eventTypeIn": ["INTERVAL"]}}, key=key))[
        "data"
    ] == 1


async def test_comments_cover_a_segment(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    rows = (await api.data(COMMENTS, {"s": session.id, "c": ["a", "b"], "a": at(10), "b": at(20)}, key=key))["data"]
    assert [(r["eventType"], r["comment"], r["startTime"], r["endTime"]) for r in rows] == [
        ("COMMENT", "a", at(10), at(20)),
        ("COMMENT", "b", at(10), at(20)),
    ]
    error = await api.error(COMMENTS, {"s": session.id, "c": ["x", ""], "a": at(10), "b": at(20)}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "comments[1]" in error["message"]
    error = await api.error(COMMENTS, {"s": session.id, "c": ["x"], "a": at(20), "b": at(10)}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "before startTime" in error["message"]
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [session.id]}}, key=key))["data"] == 2


async def test_filters_list_and_count_the_same_events_and_delete_them(api, seeder) -> None:
    project, session, key = await _setup(seeder)
    other = await seeder.session(project, start_time=T0, end_time=T0 + timedelta(seconds=600))
    events = [
        {"eventType": "INTERVAL", "name": "weather", "startTime": at(0), "endTime": at(100), "state": "rain"},
        {"eventType": "INTERVAL", "name": "weather", "startTime": at(100), "endTime": at(300), "state": "sun"},
        {"eventType": "POINT", "name": "brake", "startTime": at(150)},
        {"eventType": "SCALAR", "name": "speed", "startTime": at(50), "value": 3.0},
        {"eventType": "SCALAR", "name": "speed", "startTime": at(250), "value": 5.0},
    ]
    ids = [r["id"] for r in (await api.data(APPEND, {"s": session.id, "e": events}, key=key))["data"]]
    await api.data(APPEND, {"s": other.id, "e": events[:2]}, key=key)
    cases = {
        "session": ({"sessionIdIn": [session.id]}, {0, 1, 2, 3, 4}),
        "types": ({"sessionIdIn": [session.id], "eventTypeIn": ["SCALAR", "POINT"]}, {2, 3, 4}),
        "names": ({"sessionIdIn": [session.id], "nameIn": ["weather"]}, {0, 1}),
        "overlap": ({"sessionIdIn": [session.id], "overlapsStart": at(120), "overlapsEnd": at(200)}, {1, 2}),
        "overlap edge": ({"sessionIdIn": [session.id], "overlapsStart": at(100), "overlapsEnd": at(100)}, {0, 1}),
        "starts": ({"sessionIdIn": [session.id], "startTimeGte": at(50), "startTimeLte": at(150)}, {1, 2, 3}),
        "none": ({"sessionIdIn": [session.id], "eventTypeIn": []}, set()),
    }
    for name, (where, expected) in cases.items():
        listed = await _all_ids(api, key, where)
        assert set(listed) == {ids[i] for i in expected}, name
        assert (await api.data(COUNT, {"w": where}, key=key))["data"] == len(listed), name
    assert (await api.data(COUNT, {"w": {}}, key=key))["data"] == 7
    deleted = await api.data(DELETE, {"w": {"sessionIdIn": [session.id], "nameIn": ["weather"]}}, key=key)
    assert deleted["data"] == 2
    assert set(await _all_ids(api, key, {"sessionIdIn": [session.id]})) == {ids[2], ids[3], ids[4]}
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [other.id]}}, key=key))["data"] == 2


async def test_events_of_invisible_sessions_are_never_matched(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    _, hidden, hidden_key = await _setup(seeder)
    await api.data(APPEND, {"s": hidden.id, "e": [{"eventType": "POINT", "startTime": at(1)}]}, key=hidden_key)
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [hidden.id]}}, key=key))["data"] == 0
    assert (await api.data(DELETE, {"w": {"sessionIdIn": [hidden.id]}}, key=key))["data"] == 0
    error = await api.error(APPEND, {"s": hidden.id, "e": [{"eventType": "POINT", "startTime": at(1)}]}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [hidden.id]}}, key=hidden_key))["data"] == 1


async def test_summary_timeline_and_count_agree_on_a_window(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    speeds = [(s, float(s % 7)) for s in range(0, 600, 13)]
    events = [{"eventType": "SCALAR", "name": "speed", "startTime": at(s), "value": v} for s, v in speeds]
    events += [{"eventType": "POINT", "name": "brake", "startTime": at(s)} for s in (5, 95, 100, 399, 410)]
    weather = [(0, 90, "rain"), (90, 200, "sun"), (200, 330, "rain"), (330, 600, "fog")]
    events += [
        {"eventType": "INTERVAL", "name": "weather", "startTime": at(a), "endTime": at(b), "state": st}
        for a, b, st in weather
    ]
    await api.data(APPEND, {"s": session.id, "e": events}, key=key)
    window = (at(100), at(400))
    count = (
        await api.data(
            COUNT, {"w": {"sessionIdIn": [session.id], "overlapsStart": window[0], "overlapsEnd": window[1]}}, key=key
        )
    )["data"]
    summary = (await api.data(SUMMARY, {"id": session.id, "a": window[0], "b": window[1]}, key=key))["session"][
        "eventSummary"
    ]
    by_name = {s["name"]: s for s in summary}
    assert sum(s["count"] for s in summary) == count
    in_window = [v for s, v in speeds if 100 <= s <= 400]
    speed = by_name["speed"]
    assert speed["count"] == len(in_window) and speed["eventType"] == "SCALAR"
    assert (speed["min"], speed["max"], speed["sum"]) == (min(in_window), max(in_window), sum(in_window))
    assert speed["average"] == pytest.approx(sum(in_window) / len(in_window))
    assert by_name["brake"]["count"] == 2 and by_name["brake"]["firstTime"] == at(100)
    weather_in = [w for w in weather if w[1] >= 100 and w[0] <= 400]
    assert by_name["weather"]["count"] == 3
    assert by_name["weather"]["totalDuration"] == pytest.approx(sum(b - a for a, b, _ in weather_in))
    assert {b["state"]: b["count"] for b in by_name["weather"]["states"]} == {"sun": 1, "rain": 1, "fog": 1}
    assert by_name["weather"]["lastTime"] == at(600)

    samples = (await api.data(TIMELINE, {"id": session.id, "r": 50.0, "a": window[0], "b": window[1]}, key=key))[
        "session"
    ]["timeline"]
    assert {s["time"] for s in samples} <= {at(100 + 50 * i) for i in range(6)}
    # Instants fall in exactly one bucket: their counts add up to the summary's.
    for name in ("speed", "brake"):
        assert sum(s["eventCount"] for s in samples if s["name"] == name) == by_name[name]["count"]
    # The per-bucket averages, weighted by their counts, give the summary's average.
    speed_samples = [s for s in samples if s["name"] == "speed"]
    weighted = sum(s["value"] * s["eventCount"] for s in speed_samples) / sum(s["eventCount"] for s in speed_samples)
    assert weighted == pytest.approx(speed["average"])
    # Each bucket's state is that of the interval starting last inside it.
    states = {s["time"]: s["state"] for s in samples if s["name"] == "weather"}
    assert states == {at(100): "sun", at(150): "sun", at(200): "rain", at(250): "rain", at(300): "fog", at(350): "fog"}
    # Intervals are closed: one ending where a bucket starts also counts in it (as the window filter counts it).
    counts = {s["time"]: s["eventCount"] for s in samples if s["name"] == "weather"}
    assert counts == {at(100): 1, at(150): 1, at(200): 2, at(250): 1, at(300): 2, at(350): 1}
    # The names filter narrows all three alike.
    only = await api.data(SUMMARY, {"id": session.id, "names": ["brake"], "a": window[0], "b": window[1]}, key=key)
    assert [s["name"] for s in only["session"]["eventSummary"]] == ["brake"]


async def test_timeline_keeps_events_on_the_window_edges_and_long_intervals_at_fine_resolutions(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    events = [
        {"eventType": "POINT", "name": "edge", "startTime": at(100)},
        {"eventType": "POINT", "name": "edge", "startTime": at(200)},
        {"eventType": "INTERVAL", "name": "long", "startTime": at(0), "endTime": at(600), "state": "day"},
    ]
    await api.data(APPEND, {"s": session.id, "e": events}, key=key)
    for resolution, window in [(50.0, (at(100), at(200))), (1e-9, (at(200), at(200)))]:
        variables = {"id": session.id, "r": resolution, "a": window[0], "b": window[1]}
        samples = (await api.data(TIMELINE, variables, key=key))["session"]["timeline"]
        where = {"sessionIdIn": [session.id], "nameIn": ["edge"], "overlapsStart": window[0], "overlapsEnd": window[1]}
        count = (await api.data(COUNT, {"w": where}, key=key))["data"]
        assert sum(s["eventCount"] for s in samples if s["name"] == "edge") == count > 0, resolution
        assert {s["state"] for s in samples if s["name"] == "long"} == {"day"}


async def test_timeline_refuses_more_than_its_cap_and_a_missing_resolution(api, seeder) -> None:
    _, session, key = await _setup(seeder)
    error = await api.error(TIMELINE, {"id": session.id, "r": 0.01}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "at most 10000" in error["message"]
    error = await api.error(TIMELINE, {"id": session.id}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "resolution" in error["message"]
    assert (await api.data(TIMELINE, {"id": session.id, "r": 0.06}, key=key))["session"]["timeline"] == []


async def test_labelers_read_managers_write_archived_is_locked(api, seeder) -> None:
    project, session, key = await _setup(seeder, role="LABELER")
    point = [{"eventType": "POINT", "startTime": at(1)}]
    assert (await api.error(APPEND, {"s": session.id, "e": point}, key=key))["extensions"]["code"] == "FORBIDDEN"
    await seeder.event(session, name="seen")
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [session.id]}}, key=key))["data"] == 1
    error = await api.error(DELETE, {"w": {"sessionIdIn": [session.id]}}, key=key)
    assert error["extensions"]["code"] == "FORBIDDEN"
    _, archived, manager_key = await _setup(seeder, archived=True)
    await seeder.event(archived, name="kept")
    for document, variables in [
        (APPEND, {"s": archived.id, "e": point}),
        (COMMENTS, {"s": archived.id, "c": ["x"], "a": at(1), "b": at(2)}),
        (DELETE, {"w": {"sessionIdIn": [archived.id]}}),
    ]:
        assert (await api.error(document, variables, key=manager_key))["extensions"]["code"] == "LOCKED"
    assert (await api.data(COUNT, {"w": {"sessionIdIn": [archived.id]}}, key=manager_key))["data"] == 1


async def test_appending_1_or_10000_events_costs_the_same_statements(api, seeder, sql_counter) -> None:
    _, session, key = await _setup(seeder)
    counts = []
    for size in (1, 10_000):
        events = [
            {"eventType": "SCALAR", "name": "speed", "startTime": at(i * 0.05), "value": float(i)} for i in range(size)
        ]
        sql_counter.statements.clear()
        started = time.perf_counter()
        with sql_counter:
            rows = (await api.data(APPEND, {"s": session.id, "e": events}, key=key))["data"]
        elapsed = time.perf_counter() - started
        assert len(rows) == size
        counts.append(sql_counter.count)
        print(f"appendSessionEvents x{size}: {sql_counter.count} statements, {elapsed:.2f} s")
    # The key, the session (FOR UPDATE), roles, the archive check, one INSERT (the span holds them all).
    assert counts == [5, 5]
    sql_counter.statements.clear()
    with sql_counter:
        assert (await api.data(DELETE, {"w": {"sessionIdIn": [session.id]}}, key=key))["data"] == 10_001
    assert sql_counter.count == 5  # the key, the projects matched, roles, the archive check, one DELETE
    too_many = [{"eventType": "POINT", "startTime": at(1)}] * 10_001
    assert (await api.error(APPEND, {"s": session.id, "e": too_many}, key=key))["extensions"][
        "code"
    ] == "BAD_USER_INPUT"


async def test_summaries_of_many_sessions_cost_the_statements_of_one(api, seeder, sql_counter) -> None:
    project, first, key = await _setup(seeder)
    sessions = [first, *[await seeder.session(project) for _ in range(3)]]
    for n, session in enumerate(sessions):
        for i in range(n + 1):
            await seeder.event(session, event_type="SCALAR", name="speed", value=float(i), start_time=T0)
    query = """query($ids: [ID!]!) { data: sessions(where: {idIn: $ids}, first: 10, skip: 0) {
      id eventSummary(names: ["speed"]) { count sum } } }"""
    costs = []
    for ids in ([first.id], [s.id for s in sessions]):
        sql_counter.statements.clear()
        with sql_counter:
            rows = (await api.data(query, {"ids": ids}, key=key))["data"]
        costs.append(sql_counter.count)
        by_id = {r["id"]: r["eventSummary"] for r in rows}
        for n, session in enumerate(sessions[: len(ids)]):
            assert by_id[session.id] == [{"count": n + 1, "sum": float(sum(range(n + 1)))}]
    assert costs[0] == costs[1] == 4  # the key, the sessions, the two GROUP BY statements
