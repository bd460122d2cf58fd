"""Appending assets (appendManyAssets) and deduplicating external ids (filterExistingAssets)."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from gateway.db.ids import new_id
from tests.images import png_bytes

APPEND = """mutation($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  data: appendManyAssets(data: $data, where: $where) {
    id externalId content url jsonMetadata jsonContent isHoneypot status priority projectId createdAt } }"""
ASSETS = """query($where: AssetWhere!, $skip: Int!) {
  assets(where: $where, first: 100, skip: $skip) {
    id externalId content url jsonMetadata jsonContent isHoneypot status priority projectId createdAt } }"""
COUNT = "query($id: ID!) { countAssets(where: {project: {id: $id}}) }"
FILTER = """query($projectID: ID!, $externalIDs: [String!]!) {
  external_ids: filterExistingAssets(projectID: $projectID, externalIDs: $externalIDs) }"""

# authentication, the project `where` with the role and archive checks (resolvers.write_target), the INSERT
# (which finds taken ids)
APPEND_STATEMENTS = 3


async def _manager(seeder, **project_fields):
    """An organization, a TEAM_MANAGER of a new project and their key."""
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "TEAM_MANAGER"}, **project_fields)
    return org, project, key


async def _all_assets(api, key: str, project_id: str) -> list[dict]:
    where = {"project": {"id": project_id}, "label": {}, "issue": {}}
    rows: list[dict] = []
    while True:
        page = (await api.data(ASSETS, {"where": where, "skip": len(rows)}, key=key))["assets"]
        rows += page
        if len(page) < 100:
            return rows


def _parsed(asset: dict) -> dict:
    return {**asset, "jsonMetadata": json.loads(asset["jsonMetadata"])}


async def _count(api, key: str, project_id: str) -> int:
    return (await api.data(COUNT, {"id": project_id}, key=key))["countAssets"]


async def test_appended_assets_come_back_in_input_order_with_all_fields(api, seeder) -> None:
    _, project, key = await _manager(seeder)
    ids = [new_id() for _ in range(3)]
    data = {
        "contentArray": ["https://example.com/c.jpg", "https://example.com/a.jpg", "https://example.com/b.jpg"],
        "externalIDArray": ["c", "a", "b"],
        "idArray": ids,
        "isHoneypotArray": [False, True, False],
        "jsonContentArray": ["", '{"text": "hi"}', ""],
        "jsonMetadataArray": ['{"camera": "front", "n": 1}', "{}", '{"tags": ["x"]}'],
    }
    appended = (await api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"]
    assert [a["id"] for a in appended] == ids  # client ids kept, input order (not id or external id order)
    assert [a["externalId"] for a in appended] == ["c", "a", "b"]
    assert [a["content"] for a in appended] == data["contentArray"] == [a["url"] for a in appended]
    assert [json.loads(a["jsonMetadata"]) for a in appended] == [{"camera": "front", "n": 1}, {}, {"tags": ["x"]}]
    assert [a["jsonContent"] for a in appended] == [None, '{"text": "hi"}', None]
    assert [a["isHoneypot"] for a in appended] == [False, True, False]
    assert {(a["status"], a["priority"], a["projectId"]) for a in appended} == {("TODO", 0, project.id)}
    listed = await _all_assets(api, key, project.id)
    assert [_parsed(a) for a in listed] == [_parsed(a) for a in appended]  # JSONB keeps its own key order


async def test_defaults_and_order_of_a_big_batch(api, seeder) -> None:
    _, project, key = await _manager(seeder)
    urls = [f"https://example.com/{i}.png" for i in range(250)]
    appended = (await api.data(APPEND, {"data": {"contentArray": urls}, "where": {"id": project.id}}, key=key))["data"]
    assert [a["content"] for a in appended] == urls
    # New cuid-shaped ids; the external id defaults to the id; metadata "{}", no json content, no honeypot.
    assert all(len(a["id"]) == 25 and a["externalId"] == a["id"] for a in appended)
    assert len({a["id"] for a in appended}) == 250
    assert {(a["jsonMetadata"], a["jsonContent"], a["isHoneypot"]) for a in appended} == {("{}", None, False)}
    # Lists return them in input order, across pages.
    assert [a["id"] for a in await _all_assets(api, key, project.id)] == [a["id"] for a in appended]


async def test_raw_text_is_inline_in_text_projects_only(api, seeder) -> None:
    org, text_project, key = await _manager(seeder, input_type="TEXT")
    data = {"contentArray": ["Once upon a time", "https://example.com/t.txt"], "externalIDArray": ["t1", "t2"]}
    appended = (await api.data(APPEND, {"data": data, "where": {"id": text_project.id}}, key=key))["data"]
    assert [a["content"] for a in appended] == ["Once upon a time", "https://example.com/t.txt"]
    mime = """query($id: ID!) { assets(where: {id: $id}, first: 1, skip: 0) { mimeType sizeBytes } }"""
    assert (await api.data(mime, {"id": appended[0]["id"]}, key=key))["assets"] == [
        {"mimeType": "text/plain", "sizeBytes": 16}
    ]

    image_project = await seeder.project(org, members={(await _viewer_id(api, key)): "TEAM_MANAGER"})
    data = {"contentArray": ["https://example.com/ok.jpg", "not a url"], "externalIDArray": ["ok", "bad"]}
    error = await api.error(APPEND, {"data": data, "where": {"id": image_project.id}}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "Item 1 (external id 'bad')" in error["message"]
    assert "IMAGE" in error["message"]
    assert await _count(api, key, image_project.id) == 0


async def _viewer_id(api, key: str) -> str:
    return (await api.data("{ viewer { id } }", key=key))["viewer"]["id"]


BAD_BATCHES = [
    # (name, data, expected code, words the message must contain)
    (
        "duplicate external id in the call",
        {"contentArray": ["https://e.com/1", "https://e.com/2", "https://e.com/3"], "externalIDArray": ["x", "y", "x"]},
        "CONFLICT",
        ["'x'"],
    ),
    (
        "duplicate external id against the table",
        {"contentArray": ["https://e.com/1", "https://e.com/2"], "externalIDArray": ["fresh", "taken"]},
        "CONFLICT",
        ["'taken'"],
    ),
    (
        "malformed JSON metadata",
        {"externalIDArray": ["m0", "m1"], "jsonMetadataArray": ["{}", "{oops"]},
        "BAD_USER_INPUT",
        ["Item 1", "'m1'", "jsonMetadata"],
    ),
    (
        "JSON metadata that is not an object",
        {"externalIDArray": ["m0", "m1"], "jsonMetadataArray": ["[1, 2]", "{}"]},
        "BAD_USER_INPUT",
        ["Item 0", "'m0'", "list"],
    ),
    (
        "arrays of different lengths",
        {"contentArray": ["https://e.com/1", "https://e.com/2"], "externalIDArray": ["l0"]},
        "BAD_USER_INPUT",
        ["contentArray has 2", "externalIDArray has 1"],
    ),
    ("an empty external id", {"externalIDArray": ["e0", ""]}, "BAD_USER_INPUT", ["Item 1", "empty"]),
    ("a duplicate client id", {"idArray": ["same-id", "same-id"]}, "CONFLICT", ["'same-id'"]),
    ("a client id already used", {"idArray": ["fresh-id", "TAKEN-ID"]}, "CONFLICT", ["'TAKEN-ID'"]),
]


@pytest.mark.parametrize(("name", "data", "code", "words"), BAD_BATCHES, ids=[b[0] for b in BAD_BATCHES])
async def test_a_bad_item_fails_the_batch_naming_it_and_writes_nothing(api, seeder, name, data, code, words) -> None:
    _, project, key = await _manager(seeder)
    existing = await seeder.asset(project, external_id="taken")
    data = json.loads(json.dumps(data).replace("TAKEN-ID", existing.id))
    words = [w.replace("TAKEN-ID", existing.id) for w in words]
    error = await api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
    assert error["extensions"]["code"] == code, error
    assert all(w in error["message"] for w in words), error["message"]
    assert await _count(api, key, project.id) == 1


async def test_projects_the_viewer_may_not_append_to(api, seeder) -> None:
    org = await seeder.organization()
    labeler, labeler_key = await seeder.user(org)
    reviewer, reviewer_key = await seeder.user(org)
    _, admin_key = await seeder.user(org, admin=True)
    project = await seeder.project(org, members={labeler.id: "LABELER", reviewer.id: "REVIEWER"})
    other = await seeder.project(org)
    archived = await seeder.project(org, archived=True)
    data = {"contentArray": ["https://e.com/1"], "externalIDArray": ["one"]}
    for key in (labeler_key, reviewer_key):
        error = await api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
        assert error["extensions"]["code"] == "FORBIDDEN" and project.id in error["message"], error
    # Unknown, or invisible to the viewer: NOT_FOUND.
    for project_id in ("no-such-project", other.id):
        error = await api.error(APPEND, {"data": data, "where": {"id": project_id}}, key=labeler_key)
        assert error["extensions"]["code"] == "NOT_FOUND" and project_id in error["message"], error
    # A where matching several projects is refused.
    error = await api.error(APPEND, {"data": data, "where": {}}, key=admin_key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "exactly one project" in error["message"]
    error = await api.error(APPEND, {"data": data, "where": {"id": archived.id}}, key=admin_key)
    assert error["extensions"]["code"] == "LOCKED", error
    for p in (project, other, archived):
        assert await _count(api, admin_key, p.id) == 0
    # An organization admin may append anywhere in the organization.
    assert len((await api.data(APPEND, {"data": data, "where": {"id": other.id}}, key=admin_key))["data"]) == 1


async def test_filter_existing_assets(api, seeder) -> None:
    org = await seeder.organization()
    labeler, key = await seeder.user(org)
    project = await seeder.project(org, members={labeler.id: "LABELER"})
    other = await seeder.project(org)
    await seeder.asset(project, external_id="a")
    await seeder.asset(project, external_id="c")
    await seeder.asset(other, external_id="b")
    found = await api.data(FILTER, {"projectID": project.id, "externalIDs": ["c", "b", "a", "c", "zz"]}, key=key)
    assert found["external_ids"] == ["c", "a"]  # given order, each once; "b" is in another project
    assert (await api.data(FILTER, {"projectID": project.id, "externalIDs": []}, key=key))["external_ids"] == []
    error = await api.error(FILTER, {"projectID": other.id, "externalIDs": ["b"]}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_an_append_of_100_assets_costs_a_fixed_number_of_statements(api, seeder, sql_counter) -> None:
    _, project, key = await _manager(seeder)
    data = {
        "contentArray": [f"https://example.com/{i}.jpg" for i in range(100)],
        "externalIDArray": [f"e{i}" for i in range(100)],
        "idArray": [new_id() for _ in range(100)],
        "jsonMetadataArray": [json.dumps({"i": i}) for i in range(100)],
    }
    with sql_counter:
        appended = (await api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"]
    assert [a["id"] for a in appended] == data["idArray"]
    assert sql_counter.count == APPEND_STATEMENTS, sql_counter.statements
    inserts = [s for s in sql_counter.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "unnest(" in inserts[0]  # one INSERT, an array per column


async def test_a_batch_past_the_parameter_limit_is_one_insert(api, seeder, sql_counter) -> None:
    # 5,000 items of 7 columns would take 35,000 parameters as a VALUES list (PostgreSQL stops at 32,767).
    _, project, key = await _manager(seeder)
    n = 5000
    data = {
        "contentArray": [f"https://example.com/{i}.jpg" for i in range(n)],
        "externalIDArray": [f"e{i}" for i in range(n)],
        "idArray": [new_id() for _ in range(n)],
        "isHoneypotArray": [i % 2 == 0 for i in range(n)],
        "jsonContentArray": ["" if i % 3 else f"text {i}" for i in range(n)],
        "jsonMetadataArray": [json.dumps({"i": i}) for i in range(n)],
        "sensorArray": [None if i % 5 else "cam" for i in range(n)],
    }
    with sql_counter:
        appended = (await api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"]
    assert sql_counter.count == APPEND_STATEMENTS, sql_counter.statements
    assert [a["id"] for a in appended] == data["idArray"]
    assert [a["isHoneypot"] for a in appended] == data["isHoneypotArray"]
    assert [a["jsonContent"] for a in appended] == [c or None for c in data["jsonContentArray"]]
    listed = await _all_assets(api, key, project.id)
    assert [_parsed(a) for a in listed] == [_parsed(a) for a in appended]


async def test_uploaded_objects_among_external_urls_get_their_columns(api, seeder, app) -> None:
    _, project, key = await _manager(seeder)
    storage = app.state.services.storage
    image = png_bytes(5, 3)
    stored_key = f"projects/{project.id}/mixed/a.png"
    storage.internal.put_object(storage.bucket, stored_key, io.BytesIO(image), len(image), content_type="image/png")
    query = """mutation($data: AppendManyAssetsData!, $where: ProjectWhere!) {
      data: appendManyAssets(data: $data, where: $where) {
        id mimeType sizeBytes resolution { width height } content } }"""
    contents = ["https://e.com/0.jpg", stored_key, "https://e.com/2.jpg"]
    data = {"contentArray": contents, "externalIDArray": ["0", "1", "2"]}
    appended = (await api.data(query, {"data": data, "where": {"id": project.id}}, key=key))["data"]
    assert [(a["mimeType"], a["sizeBytes"], a["resolution"]) for a in appended] == [
        (None, None, None),
        ("image/png", len(image), {"width": 5, "height": 3}),
        (None, None, None),
    ]
    assert [appended[0]["content"], appended[2]["content"]] == ["https://e.com/0.jpg", "https://e.com/2.jpg"]
    assert stored_key in appended[1]["content"]  # a signed GET of the object


async def test_concurrent_appends_of_one_external_id_write_it_once(api, seeder) -> None:
    _, project, key = await _manager(seeder)
    data = [{"contentArray": [f"https://e.com/{i}"], "externalIDArray": ["same"]} for i in range(4)]
    bodies = await asyncio.gather(*(api.raw(APPEND, {"data": d, "where": {"id": project.id}}, key=key) for d in data))
    codes = sorted(b["errors"][0]["extensions"]["code"] if b.get("errors") else "OK" for b in bodies)
    assert codes == ["CONFLICT", "CONFLICT", "CONFLICT", "OK"], bodies
    assert await _count(api, key, project.id) == 1


async def test_ids_are_unique_across_projects(api, seeder) -> None:
    _, project, key = await _manager(seeder)
    elsewhere = await seeder.asset(await seeder.project(await seeder.organization()))
    data = {"idArray": [new_id(), elsewhere.id], "externalIDArray": ["a", "b"]}
    error = await api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
    assert error["extensions"]["code"] == "CONFLICT" and elsewhere.id in error["message"], error
    assert await _count(api, key, project.id) == 0
