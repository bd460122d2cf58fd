"""Sessions: filters (list/count/connection agreement), timeline assets, events, visibility."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from schema.timefmt import iso
from tests.paging import paged_ids

SESSIONS = """query($where: SessionWhere!, $first: PageSize!, $skip: Int!) {
  data: sessions(where: $where, first: $first, skip: $skip) { id }
}"""
COUNT = "query($where: SessionWhere!) { data: countSessions(where: $where) }"
CONNECTION = """query($where: SessionWhere!, $after: String) {
  data: sessionsConnection(where: $where, first: 2, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } }
}"""
ONE = "query($id: ID!) { session(id: $id) { id name } }"
TIMELINE = """query($id: ID!, $first: PageSize!, $skip: Int!) {
  session(id: $id) { assets(first: $first, skip: $skip) { id timestamp } }
}"""
EVENTS = """query($id: ID!, $first: PageSize!, $skip: Int!, $types: [SessionEventType!]) {
  session(id: $id) { events(first: $first, skip: $skip, eventTypeIn: $types) { id eventType } }
}"""

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def listed(api, key: str, where: dict) -> list[str]:
    """Every id `sessions` lists for `where`, read page by page (2 a page), checked against the connection."""
    ids, via_cursor = await paged_ids(api, key, SESSIONS, CONNECTION, where)
    assert via_cursor == ids, where
    return ids


async def counted(api, key: str, where: dict) -> int:
    return (await api.data(COUNT, {"where": where}, key=key))["data"]


async def test_session_filters_list_and_count_the_same_sessions_in_creation_order(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    other_project = await seeder.project(org)
    drive = await seeder.session(
        project, name="Drive 1_a", session_type="drive", status="ready", start_time=at(0), end_time=at(600)
    )
    flight = await seeder.session(
        project, name="flight 7", session_type="flight", status="processing", start_time=at(3600), end_time=at(4000)
    )
    untimed = await seeder.session(project, name="DRIVE untimed", session_type="drive")
    remote = await seeder.session(
        other_project, name="drive remote", session_type="drive", status="ready", start_time=at(7200)
    )
    everything = [drive, flight, untimed, remote]

    cases = [
        ({}, everything),
        ({"id": flight.id}, [flight]),
        ({"idIn": [remote.id, drive.id]}, [drive, remote]),
        ({"idIn": []}, []),
        ({"project": {"id": project.id}}, [drive, flight, untimed]),
        ({"project": {"idIn": [other_project.id]}}, [remote]),
        ({"nameContains": "drive"}, [drive, untimed, remote]),
        ({"nameContains": "1_"}, [drive]),
        ({"nameContains": "%"}, []),
        ({"sessionTypeIn": ["drive"]}, [drive, untimed, remote]),
        ({"sessionTypeIn": ["flight", "boat"]}, [flight]),
        ({"sessionTypeIn": []}, []),
        ({"statusIn": ["ready"]}, [drive, remote]),
        ({"statusIn": ["ready"], "project": {"id": project.id}}, [drive]),
        ({"startTimeGte": iso(at(3600))}, [flight, remote]),
        ({"startTimeLte": "2025-06-01T08:30:00Z"}, [drive]),
        ({"startTimeLte": "2025-06-01"}, [drive, flight, remote]),
        ({"startTimeGte": iso(at(1)), "startTimeLte": iso(at(3600))}, [flight]),
        ({"endTimeGte": iso(at(601))}, [flight]),
        ({"endTimeLte": iso(at(600))}, [drive]),
        ({"createdAtGte": iso(flight.created_at)}, [flight, untimed, remote]),
        ({"createdAtLte": iso(flight.created_at)}, [drive, flight]),
        ({"sessionTypeIn": ["drive"], "nameContains": "DRIVE", "startTimeGte": "2025-06-01"}, [drive, remote]),
    ]
    for where, expected in cases:
        assert await listed(api, key, where) == [s.id for s in expected], where
        assert await counted(api, key, where) == len(expected), where

    error = await api.error(COUNT, {"where": {"startTimeGte": "June"}}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "startTimeGte" in error["message"]


async def test_session_fields_and_relations(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    session = await seeder.session(
        project,
        name="drive",
        session_type="drive",
        status="ready",
        start_time=at(0.25),
        end_time=at(90),
        resolution=0.1,
        aux_metadata={"vehicle": "car-3", "weather": ["rain"]},
    )
    for i in range(3):
        await seeder.asset(project, session_id=session.id, timestamp=at(i))
    await seeder.asset(project)  # not on the session
    query = """query($id: ID!) { session(id: $id) {
        id projectId name sessionType status startTime endTime resolution jsonAuxMetadata createdAt updatedAt
        numberOfAssets project { id title } } }"""
    got = (await api.data(query, {"id": session.id}, key=key))["session"]
    assert json.loads(got.pop("jsonAuxMetadata")) == {"vehicle": "car-3", "weather": ["rain"]}
    assert got == {
        "id": session.id,
        "projectId": project.id,
        "name": "drive",
        "sessionType": "drive",
        "status": "ready",
        "startTime": "2025-06-01T08:00:00.250Z",
        "endTime": "2025-06-01T08:01:30.000Z",
        "resolution": 0.1,
        "createdAt": iso(session.created_at),
        "updatedAt": iso(session.updated_at),
        "numberOfAssets": 3,
        "project": {"id": project.id, "title": project.title},
    }


async def test_session_assets_follow_the_timeline_and_page(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    session = await seeder.session(project)
    # Created in an order unrelated to the timeline; two share a timestamp; one has none.
    late = await seeder.asset(project, session_id=session.id, timestamp=at(30))
    untimed = await seeder.asset(project, session_id=session.id)
    early = await seeder.asset(project, session_id=session.id, timestamp=at(10))
    tied = await seeder.assets(project, 2, session_id=session.id, timestamp=at(20))
    await seeder.asset(project, session_id=(await seeder.session(project)).id, timestamp=at(15))
    expected = [early.id, *sorted(a.id for a in tied), late.id, untimed.id]

    got = (await api.data(TIMELINE, {"id": session.id, "first": 100, "skip": 0}, key=key))["session"]["assets"]
    assert [a["id"] for a in got] == expected
    assert got[0]["timestamp"] == "2025-06-01T08:00:10.000Z" and got[-1]["timestamp"] is None
    pages = []
    for skip in range(0, 6, 2):
        page = await api.data(TIMELINE, {"id": session.id, "first": 2, "skip": skip}, key=key)
        pages.append([a["id"] for a in page["session"]["assets"]])
    assert pages == [expected[0:2], expected[2:4], expected[4:]]
    error = await api.error(TIMELINE, {"id": session.id, "first": 2, "skip": -2}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_session_events_by_start_time_with_type_filter_and_paging(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    session = await seeder.session(project, start_time=at(0))
    comment = await seeder.event(session, event_type="COMMENT", start_time=at(50), comment="bump")
    interval = await seeder.event(
        session,
        event_type="interval",  # the column is free text: stored spellings are read case-insensitively
        name="lane_change",
        start_time=at(10),
        end_time=at(14.5),
        aux_metadata={"side": "left"},
    )
    speed = [
        await seeder.event(session, event_type="SCALAR", name="speed", start_time=at(20), value=13.5),
        await seeder.event(session, event_type="SCALAR", name="speed", start_time=at(20), value=14.0),
    ]
    point = await seeder.event(session, event_type="POINT", name="brake", start_time=at(5))
    other = await seeder.session(project)
    await seeder.event(other, event_type="POINT", start_time=at(1))
    expected = [point.id, interval.id, *sorted(e.id for e in speed), comment.id]

    full = """query($id: ID!) { session(id: $id) { events {
        id sessionId eventType name startTime endTime value comment jsonAuxMetadata createdAt } } }"""
    events = (await api.data(full, {"id": session.id}, key=key))["session"]["events"]
    assert [e["id"] for e in events] == expected
    lane = events[1]
    assert json.loads(lane.pop("jsonAuxMetadata")) == {"side": "left"}
    assert lane == {
        "id": interval.id,
        "sessionId": session.id,
        "eventType": "INTERVAL",
        "name": "lane_change",
        "startTime": "2025-06-01T08:00:10.000Z",
        "endTime": "2025-06-01T08:00:14.500Z",
        "value": None,
        "comment": None,
        "createdAt": iso(interval.created_at),
    }
    assert [e["eventType"] for e in events] == ["POINT", "INTERVAL", "SCALAR", "SCALAR", "COMMENT"]
    assert events[4]["comment"] == "bump" and {events[2]["value"], events[3]["value"]} == {13.5, 14.0}

    async def ids(first: int, skip: int, types: list[str] | None) -> list[str]:
        variables = {"id": session.id, "first": first, "skip": skip, "types": types}
        return [e["id"] for e in (await api.data(EVENTS, variables, key=key))["session"]["events"]]

    assert await ids(2, 0, None) + await ids(2, 2, None) + await ids(2, 4, None) == expected
    assert await ids(100, 0, ["SCALAR", "INTERVAL"]) == expected[1:4]
    assert await ids(1, 1, ["SCALAR", "INTERVAL"]) == expected[2:3]
    assert await ids(100, 0, ["COMMENT"]) == [comment.id]
    assert await ids(100, 0, []) == []

    # Aliases with different filters and pages on the same session, answered together.
    aliased = """query($id: ID!) { session(id: $id) {
        all: events { id } scalars: events(eventTypeIn: [SCALAR]) { id }
        secondScalar: events(eventTypeIn: [SCALAR], first: 1, skip: 1) { id }
        none: events(eventTypeIn: []) { id } } }"""
    got = (await api.data(aliased, {"id": session.id}, key=key))["session"]
    assert [e["id"] for e in got["all"]] == expected
    assert [e["id"] for e in got["scalars"]] == expected[2:4]
    assert [e["id"] for e in got["secondScalar"]] == expected[3:4]
    assert got["none"] == []

    error = await api.error(EVENTS, {"id": session.id, "first": 1, "skip": 0, "types": ["SPEED"]}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_members_see_no_session_of_a_project_they_are_not_in(api, seeder) -> None:
    org = await seeder.organization()
    member, key = await seeder.user(org)
    _, admin_key = await seeder.user(org, admin=True)
    mine = await seeder.project(org, members={member.id: "REVIEWER"})
    hidden = await seeder.project(org)
    hidden_session = await seeder.session(hidden, name="hidden drive", session_type="drive")
    await seeder.asset(hidden, session_id=hidden_session.id, timestamp=at(1))
    await seeder.event(hidden_session, start_time=at(1))
    my_session = await seeder.session(mine, name="my drive", session_type="drive")
    my_asset = await seeder.asset(mine, session_id=my_session.id, timestamp=at(2))
    # An asset of the hidden project that (oddly) points at my session stays hidden.
    await seeder.asset(hidden, session_id=my_session.id, timestamp=at(1))
    foreign_org = await seeder.organization()
    _, foreign_admin_key = await seeder.user(foreign_org, admin=True)

    assert await listed(api, key, {}) == [my_session.id]
    assert await counted(api, key, {}) == 1
    for where in [
        {"id": hidden_session.id},
        {"idIn": [hidden_session.id]},
        {"project": {"id": hidden.id}},
        {"nameContains": "hidden"},
    ]:
        assert await listed(api, key, where) == [], where
        assert await counted(api, key, where) == 0, where
    assert await listed(api, key, {"sessionTypeIn": ["drive"]}) == [my_session.id]
    through_list = """query($id: ID!) {
        data: sessions(where: {id: $id}, first: 10, skip: 0) { assets { id } events { id } } }"""
    assert (await api.data(through_list, {"id": hidden_session.id}, key=key))["data"] == []
    for query, variables in [
        (ONE, {"id": hidden_session.id}),
        (TIMELINE, {"id": hidden_session.id, "first": 10, "skip": 0}),
        (EVENTS, {"id": hidden_session.id, "first": 10, "skip": 0}),
    ]:
        assert (await api.error(query, variables, key=key))["extensions"]["code"] == "NOT_FOUND"

    timeline = """query($id: ID!) { session(id: $id) { numberOfAssets assets { id } } }"""
    got = (await api.data(timeline, {"id": my_session.id}, key=key))["session"]
    assert got == {"numberOfAssets": 1, "assets": [{"id": my_asset.id}]}
    got = (await api.data(timeline, {"id": my_session.id}, key=admin_key))["session"]
    assert got["numberOfAssets"] == 2 and len(got["assets"]) == 2

    assert await listed(api, admin_key, {}) == [hidden_session.id, my_session.id]
    assert await listed(api, foreign_admin_key, {}) == []
    assert await counted(api, foreign_admin_key, {}) == 0
    error = await api.error(ONE, {"id": my_session.id}, key=foreign_admin_key)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_unknown_session_is_not_found(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    error = await api.error(ONE, {"id": "no-such-session"}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-session" in error["message"]


async def test_session_relations_cost_the_same_statements_for_one_session_or_many(api, seeder, sql_counter) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    sessions = []
    for _ in range(5):
        session = await seeder.session(project)
        for i in range(3):
            await seeder.asset(project, session_id=session.id, timestamp=at(i))
            await seeder.event(session, event_type="SCALAR" if i else "COMMENT", start_time=at(i))
        sessions.append(session)
    query = """query($ids: [ID!]!) { data: sessions(where: {idIn: $ids}, first: 100, skip: 0) {
        id assets(first: 2) { id } later: assets(first: 2, skip: 2) { id } numberOfAssets project { id }
        events(first: 2) { id } scalars: events(eventTypeIn: [SCALAR]) { id } } }"""

    async def statements(ids: list[str]) -> int:
        with sql_counter:
            before = sql_counter.count
            data = (await api.data(query, {"ids": ids}, key=key))["data"]
            used = sql_counter.count - before
        assert [s["id"] for s in data] == ids
        for row in data:
            assert (len(row["assets"]), len(row["later"]), row["numberOfAssets"]) == (2, 1, 3)
            assert (len(row["events"]), len(row["scalars"])) == (2, 2)
        return used

    one = await statements([sessions[0].id])
    many = await statements([s.id for s in sessions])
    assert one == many
    # authentication, the sessions, then one statement each: assets (both aliases), counts, projects, events
    assert one == 6
