"""Assets: Kili's shape, relations, signed URLs, visibility, paging limits."""

from __future__ import annotations

import asyncio
import io
import json
import urllib.request
from datetime import UTC, datetime

from minio import Minio

from gateway.db import models
from gateway.storage import asset_content_key
from schema.timefmt import iso

ASSETS = """query($where: AssetWhere!, $first: PageSize!, $skip: Int!) {
  data: assets(where: $where, first: $first, skip: $skip) { id } }"""
COUNT = "query($where: AssetWhere!) { data: countAssets(where: $where) }"
CONNECTION = """query($where: AssetWhere!, $first: PageSize!, $after: String) {
  data: assetsConnection(where: $where, first: $first, after: $after) {
    nodes { id } pageInfo { endCursor hasNextPage } }
}"""

# Every field of the Kili minimal contract's Asset, plus labelgate's own.
FULL_ASSET = """query($where: AssetWhere!) { data: assets(where: $where, first: 10, skip: 0) {
  id externalId content jsonContent jsonMetadata createdAt updatedAt isHoneypot skipped status priority
  consensusMark honeypotMark inferenceMark toBeLabeledBy { id email } labels { id author { id } }
  latestLabel { id } project { id title } resolution { width height } currentStep { name stepGroupName status }
  ocrMetadata url mimeType sizeBytes sensor timestamp isUsedForConsensus projectId sessionId
  sets { id name } session { id name }
} }"""


async def test_asset_has_kili_fields_and_relations(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org, admin=True)
    labeler, _ = await seeder.user(org, email=f"a-{org.id}@example.com")
    other, _ = await seeder.user(org, email=f"b-{org.id}@example.com")
    project = await seeder.project(org, title="Drives")
    session = await seeder.session(project, name="drive-1")
    stamp = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    asset = await seeder.asset(
        project,
        external_id="frame-1",
        json_metadata={"weather": "rain", "speed": 12},
        json_content="rich text",
        status="LABELED",
        priority=3,
        consensus_mark=0.5,
        honeypot_mark=0.25,
        inference_mark=0.75,
        is_honeypot=True,
        is_used_for_consensus=True,
        width=1920,
        height=1080,
        mime_type="image/jpeg",
        size_bytes=3_000_000,
        sensor="front_camera",
        session_id=session.id,
        timestamp=stamp,
    )
    bare = await seeder.asset(project, json_metadata={})
    await seeder.assign(asset, other, labeler)
    first = await seeder.label(asset, labeler)
    latest = await seeder.label(asset, other, label_type="REVIEW")
    set_b = await seeder.asset_set(project, [asset], name="b-set")
    set_a = await seeder.asset_set(project, [asset, bare], name="a-set")

    rows = (await api.data(FULL_ASSET, {"where": {"project": {"id": project.id}}}, key=key))["data"]
    assert [r["id"] for r in rows] == [asset.id, bare.id]
    full, empty = rows
    assert full == {
        "id": asset.id,
        "externalId": "frame-1",
        "content": "https://example.com/0.jpg",
        "url": "https://example.com/0.jpg",
        "jsonContent": "rich text",
        "jsonMetadata": full["jsonMetadata"],
        "createdAt": iso(asset.created_at),
        "updatedAt": iso(asset.updated_at),
        "isHoneypot": True,
        "skipped": False,
        "status": "LABELED",
        "priority": 3,
        "consensusMark": 0.5,
        "honeypotMark": 0.25,
        "inferenceMark": 0.75,
        "toBeLabeledBy": [{"id": labeler.id, "email": labeler.email}, {"id": other.id, "email": other.email}],
        "labels": [{"id": first.id, "author": {"id": labeler.id}}, {"id": latest.id, "author": {"id": other.id}}],
        "latestLabel": {"id": latest.id},
        "project": {"id": project.id, "title": "Drives"},
        "resolution": {"width": 1920.0, "height": 1080.0},
        "currentStep": None,
        "ocrMetadata": None,
        "mimeType": "image/jpeg",
        "sizeBytes": 3_000_000,
        "sensor": "front_camera",
        "timestamp": "2026-02-03T04:05:06.789Z",
        "isUsedForConsensus": True,
        "projectId": project.id,
        "sessionId": session.id,
        "sets": [{"id": set_b.id, "name": "b-set"}, {"id": set_a.id, "name": "a-set"}],
        "session": {"id": session.id, "name": "drive-1"},
    }
    assert json.loads(full["jsonMetadata"]) == {"weather": "rain", "speed": 12}
    assert empty["jsonMetadata"] == "{}"
    assert empty["resolution"] is None and empty["session"] is None and empty["latestLabel"] is None
    assert (
        empty["labels"] == [] and empty["toBeLabeledBy"] == [] and empty["sets"] == [{"id": set_a.id, "name": "a-set"}]
    )
    assert empty["status"] == "TODO" and empty["jsonContent"] is None


async def test_stored_object_url_is_a_signed_url_serving_the_bytes(api, seeder, settings) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    stored = models.Asset(project_id=project.id, external_id="stored", content="", created_at=seeder.tick())
    stored.storage_key = asset_content_key(project.id, stored.id)
    stored.updated_at = stored.created_at
    await seeder.add(stored)
    external = await seeder.asset(project, content="https://cdn.example.com/x.png")
    payload = b"\x89PNG labelgate bytes " + stored.id.encode()
    minio = Minio(
        settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key, secure=False
    )
    await asyncio.to_thread(
        minio.put_object, settings.s3_bucket, stored.storage_key, io.BytesIO(payload), len(payload), "image/png"
    )

    query = "query($where: AssetWhere!) { data: assets(where: $where, first: 10, skip: 0) { id url content } }"
    rows = (await api.data(query, {"where": {"project": {"id": project.id}}}, key=key))["data"]
    assert [r["id"] for r in rows] == [stored.id, external.id]
    signed = rows[0]
    assert signed["content"].split("?")[0] == signed["url"].split("?")[0]
    assert "X-Amz-Signature=" in signed["url"]

    def fetch(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read()

    assert await asyncio.to_thread(fetch, signed["url"]) == payload
    assert await asyncio.to_thread(fetch, signed["content"]) == payload
    assert rows[1]["url"] == rows[1]["content"] == "https://cdn.example.com/x.png"


async def test_a_member_sees_only_the_assets_of_their_projects(api, seeder) -> None:
    org = await seeder.organization()
    member, key = await seeder.user(org)
    mine = await seeder.project(org, members={member.id: "LABELER"})
    hidden = await seeder.project(org)
    foreign = await seeder.project(await seeder.organization())
    visible_assets = await seeder.assets(mine, 3)
    hidden_asset = await seeder.asset(hidden)
    await seeder.asset(foreign)
    expected = [a.id for a in visible_assets]

    async def listed(where: dict) -> list[str]:
        return [a["id"] for a in (await api.data(ASSETS, {"where": where, "first": 100, "skip": 0}, key=key))["data"]]

    async def counted(where: dict) -> int:
        return (await api.data(COUNT, {"where": where}, key=key))["data"]

    assert await listed({}) == expected
    assert await counted({}) == 3
    page = (await api.data(CONNECTION, {"where": {}, "first": 100}, key=key))["data"]
    assert [n["id"] for n in page["nodes"]] == expected
    for where in ({"project": {"id": hidden.id}}, {"project": {"id": foreign.id}}, {"id": hidden_asset.id}):
        assert await listed(where) == []
        assert await counted(where) == 0
        assert (await api.data(CONNECTION, {"where": where, "first": 10}, key=key))["data"]["nodes"] == []
    # Naming a hidden asset's id does not make it count.
    assert await counted({"idIn": [hidden_asset.id, *expected]}) == 3
    # One project named: its other conditions still hold (a one-time test, resolvers/filters/asset_where.py).
    assert await listed({"project": {"id": mine.id, "archived": False}}) == expected
    assert await counted({"project": {"id": mine.id, "archived": True}}) == 0
    assert await counted({"project": {"id": mine.id, "idIn": [hidden.id]}}) == 0


async def test_page_size_and_skip_are_checked(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    for query, variables in [
        (ASSETS, {"where": {}, "first": 101, "skip": 0}),
        (CONNECTION, {"where": {}, "first": 101}),
        (ASSETS, {"where": {}, "first": 10, "skip": -1}),
    ]:
        error = await api.error(query, variables, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert (await api.data(ASSETS, {"where": {}, "first": 100, "skip": 0}, key=key))["data"] == []


async def test_assets_connection_pages_with_cursors_in_created_order(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    made = await seeder.assets(project, 5)
    seen, after = [], None
    while True:
        page = (await api.data(CONNECTION, {"where": {}, "first": 2, "after": after}, key=key))["data"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [a.id for a in made]


async def test_the_kili_sdk_where_shape_is_accepted(api, seeder) -> None:
    """The SDK always sends `label: {}` and `issue: {}`; both mean no filter."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    made = await seeder.assets(project, 2)
    where = {"project": {"id": project.id}, "label": {}, "issue": {}}
    assert (await api.data(COUNT, {"where": where}, key=key))["data"] == 2
    rows = (await api.data(ASSETS, {"where": where, "first": 2, "skip": 0}, key=key))["data"]
    assert [r["id"] for r in rows] == [a.id for a in made]


async def test_the_kili_sdk_lists_and_counts_assets(kili_connect, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(
        org, members={user.id: "LABELER"}, json_interface={"jobs": {"CLASS": {"mlTask": "CLASSIFICATION"}}}
    )
    made = [
        await seeder.asset(project, external_id="front-1", json_metadata={"weather": "rain", "speed": 12}),
        await seeder.asset(project, external_id="rear-2", json_metadata={"weather": "sun", "speed": 40}),
        await seeder.asset(project, external_id="front-3", status="LABELED"),
    ]
    response = {"CLASS": {"categories": [{"name": "CAR"}]}}
    label = await seeder.label(made[2], user, json_response=response)
    kili = kili_connect(key)

    assert kili.count_assets(project_id=project.id) == 3
    rows = kili.assets(project_id=project.id)
    assert [r["id"] for r in rows] == [a.id for a in made]
    assert rows[0]["jsonMetadata"] == {"weather": "rain", "speed": 12}
    assert rows[2]["labels"] == [
        {
            "author": {"id": user.id, "email": user.email},
            "createdAt": iso(label.created_at),
            "id": label.id,
            "jsonResponse": response,
            "jsonResponseUrl": None,
        }
    ]
    assert rows[2]["status"] == "LABELED" and rows[0]["content"] == "https://example.com/0.jpg"

    def ids(**filters) -> list[str]:
        return [r["id"] for r in kili.assets(project_id=project.id, fields=["id"], **filters)]

    assert ids(metadata_where={"speed": [10, 20]}) == [made[0].id]
    assert ids(metadata_where={"weather": "sun"}) == [made[1].id]
    assert ids(external_id_in=["FRONT"]) == [made[0].id, made[2].id]
    assert ids(status_in=["LABELED"]) == [made[2].id]
    assert ids(label_category_search="CLASS.CAR.count > 0") == [made[2].id]
    assert ids(label_author_in=[user.email]) == [made[2].id]
    assert kili.count_assets(project_id=project.id, label_type_in=["DEFAULT"]) == 1
    assert kili.count_assets(project_id=project.id, skipped=True) == 0


ONE = "query($id: ID!) { asset(id: $id) { id externalId project { id } } }"


async def test_asset_by_id_answers_what_the_viewer_may_see_and_not_found_otherwise(api, seeder) -> None:
    org = await seeder.organization()
    member, key = await seeder.user(org)
    project = await seeder.project(org, members={member.id: "LABELER"})
    hidden_project = await seeder.project(org)
    asset = await seeder.asset(project, external_id="frame-9")
    hidden = await seeder.asset(hidden_project)
    other_org = await seeder.organization()
    _, other_key = await seeder.user(other_org, admin=True)
    answer = (await api.data(ONE, {"id": asset.id}, key=key))["asset"]
    assert answer == {"id": asset.id, "externalId": "frame-9", "project": {"id": project.id}}
    for asset_id, api_key in ((hidden.id, key), ("no-such-asset", key), (asset.id, other_key)):
        error = await api.error(ONE, {"id": asset_id}, key=api_key)
        assert error["extensions"]["code"] == "NOT_FOUND" and asset_id in error["message"], error
