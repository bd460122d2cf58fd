"""Sessions written through GraphQL (SceneBox add_session, update_time_span, extend_time_span,
slice_session, delete_session), against the real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.db import models

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SESSION = "id name sessionType status startTime endTime resolution jsonAuxMetadata originSessionId"
CREATE = f"mutation($d: CreateSessionData!) {{ s: createSession(data: $d) {{ {SESSION} }} }}"
UPDATE = f"mutation($id: ID!, $d: UpdateSessionData!) {{ s: updateSession(id: $id, data: $d) {{ {SESSION} }} }}"
EXTEND = f"mutation($id: ID!, $t: [String!]!) {{ s: extendSessionTimeSpan(id: $id, timestamps: $t) {{ {SESSION} }} }}"
SLICE = (
    "mutation($id: ID!, $a: String!, $b: String!, $n: String) "
    f"{{ s: sliceSession(id: $id, startTime: $a, endTime: $b, name: $n) {{ {SESSION} }} }}"
)
DELETE = (
    "mutation($id: ID!, $del: Boolean!) { s: deleteSession(id: $id, deleteAssets: $del) "
    "{ succeeded { assetId } declined { assetId } failed { assetId } } }"
)
READ = """query($id: ID!) { s: session(id: $id) { numberOfAssets assets(first: 100, skip: 0) { id timestamp } } }"""
ASSET_IDS = "query($w: AssetWhere!) { a: assets(where: $w, first: 100, skip: 0) { id } c: countAssets(where: $w) }"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def _manager(seeder, role: str = "TEAM_MANAGER"):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: role})
    return project, key


async def _recording(seeder, project, minutes: int = 10):
    """A session over [T0, T0+minutes] with one asset a minute (timestamps T0 .. T0+minutes-1)."""
    session = await seeder.session(project, start_time=T0, end_time=T0 + timedelta(minutes=minutes))
    assets = [
        await seeder.asset(project, session_id=session.id, timestamp=T0 + timedelta(minutes=i), sensor="cam_front")
        for i in range(minutes)
    ]
    return session, assets


async def _code(api, query, variables, key) -> str:
    return (await api.error(query, variables, key=key))["extensions"]["code"]


async def test_create_session_with_defaults_and_all_fields(api, seeder) -> None:
    project, key = await _manager(seeder)
    plain = (await api.data(CREATE, {"d": {"projectId": project.id, "name": "drive 1"}}, key=key))["s"]
    assert (plain["sessionType"], plain["status"], plain["startTime"], plain["originSessionId"]) == (
        "generic",
        "ready",
        None,
        None,
    )
    full = {
        "projectId": project.id,
        "name": "drive 2",
        "sessionType": "drive",
        "status": "recorded",
        "resolution": 0.1,
        "startTime": "2026-03-01T08:00:00Z",
        "endTime": "2026-03-01T09:00:00+01:00",
        "jsonAuxMetadata": '{"car": "A"}',
    }
    made = (await api.data(CREATE, {"d": full}, key=key))["s"]
    assert made["startTime"].startswith("2026-03-01T08:00:00") and made["endTime"].startswith("2026-03-01T08:00:00")
    assert (made["resolution"], made["jsonAuxMetadata"], made["sessionType"]) == (0.1, '{"car": "A"}', "drive")
    listed = await api.data(
        "query($p: ID!) { c: countSessions(where: {project: {id: $p}}) }", {"p": project.id}, key=key
    )
    assert listed["c"] == 2


async def test_names_are_unique_per_project_conflict(api, seeder) -> None:
    project, key = await _manager(seeder)
    other, other_key = await _manager(seeder)
    await api.data(CREATE, {"d": {"projectId": project.id, "name": "same"}}, key=key)
    error = await api.error(CREATE, {"d": {"projectId": project.id, "name": "same"}}, key=key)
    assert error["extensions"]["code"] == "CONFLICT" and "same" in error["message"]
    # Another project may use the name; renaming onto a taken name is a CONFLICT too.
    await api.data(CREATE, {"d": {"projectId": other.id, "name": "same"}}, key=other_key)
    second = (await api.data(CREATE, {"d": {"projectId": project.id, "name": "second"}}, key=key))["s"]
    assert await _code(api, UPDATE, {"id": second["id"], "d": {"name": "same"}}, key) == "CONFLICT"
    taken_id = {"projectId": project.id, "name": "third", "id": second["id"]}
    error = await api.error(CREATE, {"d": taken_id}, key=key)
    assert error["extensions"]["code"] == "CONFLICT" and second["id"] in error["message"]


async def test_bad_spans_and_resolutions_are_refused(api, seeder) -> None:
    project, key = await _manager(seeder)
    reversed_span = {"projectId": project.id, "name": "x", "startTime": "2026-03-02", "endTime": "2026-03-01"}
    assert await _code(api, CREATE, {"d": reversed_span}, key) == "BAD_USER_INPUT"
    for resolution in (0, -1.5):
        data = {"projectId": project.id, "name": "x", "resolution": resolution}
        assert await _code(api, CREATE, {"d": data}, key) == "BAD_USER_INPUT"
    assert await _code(api, CREATE, {"d": {"projectId": project.id, "name": "x", "startTime": "soon"}}, key) == (
        "BAD_USER_INPUT"
    )
    session, _ = await _recording(seeder, project, 2)
    # Only the end is given: checked against the stored start.
    assert await _code(api, UPDATE, {"id": session.id, "d": {"endTime": "2026-02-01T00:00:00Z"}}, key) == (
        "BAD_USER_INPUT"
    )
    assert await _code(api, UPDATE, {"id": session.id, "d": {"resolution": 0}}, key) == "BAD_USER_INPUT"
    assert await _code(api, UPDATE, {"id": "nope", "d": {"status": "x"}}, key) == "NOT_FOUND"


async def test_update_writes_only_the_fields_given(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, _ = await _recording(seeder, project, 2)
    changes = {"status": "processed", "resolution": 0.5, "endTime": "2026-03-01T12:00:00Z", "jsonAuxMetadata": "{}"}
    updated = (await api.data(UPDATE, {"id": session.id, "d": changes}, key=key))["s"]
    assert updated["status"] == "processed" and updated["resolution"] == 0.5
    assert updated["startTime"].startswith("2026-03-01T08:00:00")
    assert updated["endTime"].startswith("2026-03-01T12:00:00")
    assert updated["name"] == session.name


async def test_extend_time_span_covers_the_timestamps(api, seeder) -> None:
    project, key = await _manager(seeder)
    empty = (await api.data(CREATE, {"d": {"projectId": project.id, "name": "e"}}, key=key))["s"]
    grown = (await api.data(EXTEND, {"id": empty["id"], "t": ["2026-03-01T10:00:00Z"]}, key=key))["s"]
    assert grown["startTime"].startswith("2026-03-01T10:00:00") and grown["endTime"] == grown["startTime"]
    wider = (
        await api.data(EXTEND, {"id": empty["id"], "t": ["2026-03-01T09:00:00Z", "2026-03-01T11:00:00Z"]}, key=key)
    )["s"]
    assert wider["startTime"].startswith("2026-03-01T09") and wider["endTime"].startswith("2026-03-01T11")
    # Timestamps inside the span change nothing.
    same = (await api.data(EXTEND, {"id": empty["id"], "t": ["2026-03-01T10:30:00Z"]}, key=key))["s"]
    assert (same["startTime"], same["endTime"]) == (wider["startTime"], wider["endTime"])
    error = await api.error(EXTEND, {"id": empty["id"], "t": ["2026-03-01T10:30:00Z", "later"]}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "timestamps[1]" in error["message"]


async def test_a_slice_holds_the_recordings_assets_inside_its_window(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, assets = await _recording(seeder, project, 10)
    window = {"id": session.id, "a": iso(T0 + timedelta(minutes=2)), "b": iso(T0 + timedelta(minutes=4)), "n": "s1"}
    child = (await api.data(SLICE, window, key=key))["s"]
    assert child["originSessionId"] == session.id and child["name"] == "s1"
    inside = {a.id for a in assets[2:5]}
    read = (await api.data(READ, {"id": child["id"]}, key=key))["s"]
    assert read["numberOfAssets"] == 3 and [a["id"] for a in read["assets"]] == [a.id for a in assets[2:5]]
    by_where = await api.data(ASSET_IDS, {"w": {"sessionIdIn": [child["id"]]}}, key=key)
    assert {a["id"] for a in by_where["a"]} == inside and by_where["c"] == 3
    # The recording keeps all of its assets; the slice owns none of them.
    assert (await api.data(READ, {"id": session.id}, key=key))["s"]["numberOfAssets"] == 10
    # A window reaching past the span is clipped to it.
    wide = {"id": session.id, "a": "2026-01-01", "b": iso(T0 + timedelta(minutes=1)), "n": "s2"}
    clipped = (await api.data(SLICE, wide, key=key))["s"]
    assert clipped["startTime"].startswith("2026-03-01T08:00:00")
    assert (await api.data(READ, {"id": clipped["id"]}, key=key))["s"]["numberOfAssets"] == 2
    # Slicing a slice slices the same recording, within the slice's span.
    inner = {"id": child["id"], "a": iso(T0 + timedelta(minutes=3)), "b": iso(T0 + timedelta(hours=1)), "n": "s3"}
    grandchild = (await api.data(SLICE, inner, key=key))["s"]
    assert grandchild["originSessionId"] == session.id and grandchild["endTime"] == child["endTime"]
    assert (await api.data(READ, {"id": grandchild["id"]}, key=key))["s"]["numberOfAssets"] == 2
    # A window missing the span, a reversed window, and a taken name are refused.
    miss = {"id": session.id, "a": "2027-01-01", "b": "2027-01-02", "n": "s4"}
    assert await _code(api, SLICE, miss, key) == "BAD_USER_INPUT"
    assert await _code(api, SLICE, {**window, "a": window["b"], "b": window["a"], "n": "s5"}, key) == "BAD_USER_INPUT"
    assert await _code(api, SLICE, window, key) == "CONFLICT"


async def test_sensor_in_filters_assets(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, assets = await _recording(seeder, project, 2)
    lidar = await seeder.asset(project, session_id=session.id, timestamp=T0, sensor="lidar_top")
    found = await api.data(ASSET_IDS, {"w": {"project": {"id": project.id}, "sensorIn": ["lidar_top"]}}, key=key)
    assert [a["id"] for a in found["a"]] == [lidar.id] and found["c"] == 1
    none = await api.data(ASSET_IDS, {"w": {"project": {"id": project.id}, "sensorIn": []}}, key=key)
    assert none["c"] == 0
    child = (
        await api.data(
            SLICE, {"id": session.id, "a": iso(T0 + timedelta(minutes=1)), "b": iso(T0 + timedelta(minutes=1))}, key=key
        )
    )["s"]
    query = "query($ids: [ID!]) { s: sessions(where: {idIn: $ids}, first: 10, skip: 0) { id sensors } }"
    found = (await api.data(query, {"ids": [session.id, child["id"]]}, key=key))["s"]
    assert {s["id"]: s["sensors"] for s in found} == {
        session.id: ["cam_front", "lidar_top"],
        child["id"]: ["cam_front"],
    }


async def _session_rows(seeder, *ids: str) -> list[models.Session]:
    async with seeder._session_factory() as db:
        return list((await db.scalars(select(models.Session).where(models.Session.id.in_(ids)))).all())


async def _asset_rows(seeder, ids: list[str]) -> list[models.Asset]:
    async with seeder._session_factory() as db:
        return list((await db.scalars(select(models.Asset).where(models.Asset.id.in_(ids)))).all())


async def test_delete_session_with_its_assets(api, seeder, sql_counter) -> None:
    project, key = await _manager(seeder)
    counts = {}
    for size in (1, 40):
        session, assets = await _recording(seeder, project, size)
        await seeder.event(session)
        child = (await api.data(SLICE, {"id": session.id, "a": iso(T0), "b": iso(T0), "n": f"c{size}"}, key=key))["s"]
        sql_counter.statements.clear()
        with sql_counter:
            outcome = (await api.data(DELETE, {"id": session.id, "del": True}, key=key))["s"]
        counts[size] = sql_counter.count
        assert sorted(a["assetId"] for a in outcome["succeeded"]) == sorted(a.id for a in assets)
        assert outcome["declined"] == outcome["failed"] == []
        assert await _asset_rows(seeder, [a.id for a in assets]) == []
        assert await _session_rows(seeder, session.id, child["id"]) == []
    # auth, lock session, role, archive check, lock assets, delete assets, delete sessions (and slices).
    assert counts[1] == counts[40] == 7, (counts, sql_counter.statements)


async def test_delete_session_keeping_its_assets_detaches_them(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, assets = await _recording(seeder, project, 3)
    outcome = (await api.data(DELETE, {"id": session.id, "del": False}, key=key))["s"]
    assert len(outcome["succeeded"]) == 3
    rows = await _asset_rows(seeder, [a.id for a in assets])
    assert len(rows) == 3 and all(r.session_id is None and r.sensor == "cam_front" for r in rows)
    assert await _session_rows(seeder, session.id) == []


async def test_deleting_a_slice_leaves_the_recordings_assets(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, assets = await _recording(seeder, project, 3)
    child = (await api.data(SLICE, {"id": session.id, "a": iso(T0), "b": iso(T0 + timedelta(minutes=5))}, key=key))["s"]
    outcome = (await api.data(DELETE, {"id": child["id"], "del": True}, key=key))["s"]
    assert outcome["succeeded"] == []
    assert len(await _asset_rows(seeder, [a.id for a in assets])) == 3
    assert (await api.data(READ, {"id": session.id}, key=key))["s"]["numberOfAssets"] == 3


async def test_archived_projects_are_locked_and_labelers_may_not_curate(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, _ = await _recording(seeder, project, 1)
    await api.data("mutation($p: ID!) { archiveProject(id: $p) { id } }", {"p": project.id}, key=key)
    assert await _code(api, CREATE, {"d": {"projectId": project.id, "name": "n"}}, key) == "LOCKED"
    assert await _code(api, UPDATE, {"id": session.id, "d": {"status": "x"}}, key) == "LOCKED"
    assert await _code(api, DELETE, {"id": session.id, "del": True}, key) == "LOCKED"
    labeler_project, labeler_key = await _manager(seeder, "LABELER")
    assert await _code(api, CREATE, {"d": {"projectId": labeler_project.id, "name": "n"}}, labeler_key) == ("FORBIDDEN")


APPEND = (
    "mutation($d: AppendManyAssetsData!, $p: ID!) { a: appendManyAssets(data: $d, where: {id: $p}) "
    "{ id sessionId timestamp sensor } }"
)


def _frames(session_id: str | None, minutes: list[int], **extra) -> dict:
    return {
        "contentArray": [f"https://example.com/f{m}.jpg" for m in minutes],
        "externalIDArray": [f"f{m}-{session_id}" for m in minutes],
        "sessionIDArray": [session_id] * len(minutes),
        "timestampArray": [iso(T0 + timedelta(minutes=m)) for m in minutes],
        "sensorArray": ["cam_front"] * len(minutes),
        **extra,
    }


async def test_append_places_assets_on_the_timeline_and_extends_the_span(api, seeder) -> None:
    project, key = await _manager(seeder)
    session = await seeder.session(project, start_time=T0, end_time=T0 + timedelta(minutes=5))
    made = (await api.data(APPEND, {"d": _frames(session.id, [1, 2, 30]), "p": project.id}, key=key))["a"]
    assert [a["sessionId"] for a in made] == [session.id] * 3 and {a["sensor"] for a in made} == {"cam_front"}
    assert made[2]["timestamp"].startswith("2026-03-01T08:30:00")
    [row] = await _session_rows(seeder, session.id)
    assert (row.start_time, row.end_time) == (T0, T0 + timedelta(minutes=30))
    read = (await api.data(READ, {"id": session.id}, key=key))["s"]
    assert read["numberOfAssets"] == 3 and [a["id"] for a in read["assets"]] == [a["id"] for a in made]
    # Without extending, a timestamp outside the span is refused, named, and nothing is written.
    refused = await api.error(
        APPEND, {"d": _frames(session.id, [3, 40], extendSessions=False), "p": project.id}, key=key
    )
    assert refused["extensions"]["code"] == "BAD_USER_INPUT" and "timestampArray[1]" in refused["message"]
    assert (await api.data(READ, {"id": session.id}, key=key))["s"]["numberOfAssets"] == 3
    inside = await api.data(APPEND, {"d": _frames(session.id, [4], extendSessions=False), "p": project.id}, key=key)
    assert len(inside["a"]) == 1


async def test_append_refuses_sessions_of_other_projects_and_slices(api, seeder) -> None:
    project, key = await _manager(seeder)
    other, _ = await _manager(seeder)
    foreign = await seeder.session(other)
    data = _frames(None, [1, 2])
    data["sessionIDArray"] = [None, foreign.id]
    error = await api.error(APPEND, {"d": data, "p": project.id}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "sessionIDArray[1]" in error["message"]
    session, _ = await _recording(seeder, project, 2)
    child = (await api.data(SLICE, {"id": session.id, "a": iso(T0), "b": iso(T0)}, key=key))["s"]
    error = await api.error(APPEND, {"d": _frames(child["id"], [0]), "p": project.id}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "sessionIDArray[0]" in error["message"]
    mismatched = {**_frames(session.id, [1, 2]), "sensorArray": ["cam"]}
    assert await _code(api, APPEND, {"d": mismatched, "p": project.id}, key) == "BAD_USER_INPUT"


async def test_append_with_sessions_costs_the_same_statements_for_1_and_50_assets(api, seeder, sql_counter) -> None:
    project, key = await _manager(seeder)
    counts = {}
    for size in (1, 50):
        session = await seeder.session(project)  # no span yet: every call widens it
        data = _frames(session.id, list(range(size)))
        sql_counter.statements.clear()
        with sql_counter:
            await api.data(APPEND, {"d": data, "p": project.id}, key=key)
        counts[size] = sql_counter.count
    # Authentication, the project with its role and archive checks, INSERT (tests/test_asset_append.py),
    # plus locking the sessions named and widening their spans.
    assert counts[1] == counts[50] == 5, (counts, sql_counter.statements)
    print(f"\nSQL statements for appendManyAssets with sessions: {counts}")


UPDATE_ASSETS = (
    "mutation($w: [AssetWhere!]!, $d: [AssetData!]!) { u: updatePropertiesInAssets(where: $w, data: $d) "
    "{ id sessionId timestamp sensor } }"
)


async def test_update_moves_assets_onto_a_timeline_and_widens_it(api, seeder, sql_counter) -> None:
    project, key = await _manager(seeder)
    session = await seeder.session(project, start_time=T0, end_time=T0 + timedelta(minutes=1))
    counts = {}
    for size in (1, 30):
        loose = await seeder.assets(project, size)
        pairs = {
            "w": [{"id": a.id} for a in loose],
            "d": [
                {"sessionId": session.id, "timestamp": iso(T0 + timedelta(hours=size, minutes=i)), "sensor": "lidar"}
                for i in range(size)
            ],
        }
        sql_counter.statements.clear()
        with sql_counter:
            updated = (await api.data(UPDATE_ASSETS, pairs, key=key))["u"]
        counts[size] = sql_counter.count
        assert {(u["sessionId"], u["sensor"]) for u in updated} == {(session.id, "lidar")}
    [row] = await _session_rows(seeder, session.id)
    assert (row.start_time, row.end_time) == (T0, T0 + timedelta(hours=30, minutes=29))
    # Authentication, match and lock, role, archive, UPDATE, re-read, plus locking the sessions and widening
    # the span.
    print(f"\nSQL statements for updatePropertiesInAssets with sessions: {counts}")
    assert counts[1] == counts[30] == 8, (counts, sql_counter.statements)
    # A timestamp alone widens the asset's current session.
    asset = updated[0]
    later = {"w": [{"id": asset["id"]}], "d": [{"timestamp": "2026-03-05T00:00:00Z"}]}
    await api.data(UPDATE_ASSETS, later, key=key)
    [row] = await _session_rows(seeder, session.id)
    assert row.end_time == datetime(2026, 3, 5, tzinfo=UTC)
    other, _ = await _manager(seeder)
    foreign = await seeder.session(other)
    error = await api.error(UPDATE_ASSETS, {"w": [{"id": asset["id"]}], "d": [{"sessionId": foreign.id}]}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "Pair 0: sessionId" in error["message"]


async def test_append_puts_assets_in_sets(api, seeder, sql_counter) -> None:
    project, key = await _manager(seeder)
    train, val = await seeder.asset_set(project), await seeder.asset_set(project)
    counts = {}
    for size in (1, 40):
        data = {
            "contentArray": [f"https://example.com/s{i}.jpg" for i in range(size)],
            "externalIDArray": [f"set-{size}-{i}" for i in range(size)],
            "setIDArray": [[train.id, val.id] if i % 2 else [train.id] for i in range(size)],
        }
        sql_counter.statements.clear()
        with sql_counter:
            await api.data(APPEND, {"d": data, "p": project.id}, key=key)
        counts[size] = sql_counter.count
    # The plain append's three statements, plus checking the sets and inserting the memberships.
    assert counts[1] == counts[40] == 5, (counts, sql_counter.statements)
    query = "query($ids: [ID!]) { s: sets(where: {idIn: $ids}, first: 10, skip: 0) { id numberOfAssets } }"
    found = (await api.data(query, {"ids": [train.id, val.id]}, key=key))["s"]
    assert {s["id"]: s["numberOfAssets"] for s in found} == {train.id: 41, val.id: 20}
    other, _ = await _manager(seeder)
    foreign = await seeder.asset_set(other)
    locked = await seeder.asset_set(project, is_locked=True)
    for set_id, code in ((foreign.id, "BAD_USER_INPUT"), (locked.id, "LOCKED")):
        data = {"contentArray": ["https://example.com/x.jpg"] * 2, "setIDArray": [None, [set_id]]}
        error = await api.error(APPEND, {"d": data, "p": project.id}, key=key)
        assert error["extensions"]["code"] == code and "setIDArray[1]" in error["message"], error


async def test_a_slice_copies_the_events_overlapping_its_window_clipped(api, seeder) -> None:
    project, key = await _manager(seeder)
    session, _ = await _recording(seeder, project, 10)
    m = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    await seeder.event(session, event_type="INTERVAL", name="rain", start_time=m(1), end_time=m(6), state="heavy")
    await seeder.event(session, event_type="POINT", name="brake", start_time=m(3))
    await seeder.event(session, event_type="POINT", name="late", start_time=m(9))
    await seeder.event(session, event_type="COMMENT", comment="before", start_time=m(0), end_time=m(1))
    child = (await api.data(SLICE, {"id": session.id, "a": iso(m(2)), "b": iso(m(4))}, key=key))["s"]
    query = "query($id: ID!) { s: session(id: $id) { events(first: 10, skip: 0) { name startTime endTime } } }"
    events = (await api.data(query, {"id": child["id"]}, key=key))["s"]["events"]
    assert [(e["name"], e["startTime"][:19], (e["endTime"] or "")[:19]) for e in events] == [
        ("rain", "2026-03-01T08:02:00", "2026-03-01T08:04:00"),
        ("brake", "2026-03-01T08:03:00", ""),
    ]
    async with seeder._session_factory() as db:
        states = (
            await db.scalars(select(models.SessionEvent.state).where(models.SessionEvent.session_id == child["id"]))
        ).all()
    assert sorted(states, key=str) == sorted(["heavy", None], key=str)


async def test_concurrent_appends_widen_one_span_to_cover_both(api, seeder) -> None:
    project, key = await _manager(seeder)
    session = await seeder.session(project, start_time=m(100), end_time=m(101))
    early, late = _frames(session.id, [10]), _frames(session.id, [500])
    await asyncio.gather(
        api.data(APPEND, {"d": early, "p": project.id}, key=key),
        api.data(APPEND, {"d": late, "p": project.id}, key=key),
    )
    [row] = await _session_rows(seeder, session.id)
    assert (row.start_time, row.end_time) == (m(10), m(500))


def m(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
