"""Changing asset properties (updatePropertiesInAssets)."""

from __future__ import annotations

import io
import json

from gateway.db import models
from tests.images import png_bytes

UPDATE = """mutation($whereArray: [AssetWhere!]!, $dataArray: [AssetData!]!) {
  data: updatePropertiesInAssets(where: $whereArray, data: $dataArray) { id } }"""
FIELDS = """id externalId priority jsonMetadata consensusMark honeypotMark isHoneypot isUsedForConsensus content url
  jsonContent resolution { width height } mimeType sizeBytes status updatedAt toBeLabeledBy { id }"""
ASSETS = f"""query($where: AssetWhere!) {{ assets(where: $where, first: 100, skip: 0) {{ {FIELDS} }} }}"""

# authentication, matching the {id} wheres, role check, archive check, UPDATE (executemany), re-read
UPDATE_STATEMENTS = 6


async def _setup(seeder, count: int = 3, **asset_fields):
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    project = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    assets = await seeder.assets(project, count, **asset_fields)
    return org, manager, project, assets, key


async def _assets(api, key: str, project_id: str) -> list[dict]:
    return (await api.data(ASSETS, {"where": {"project": {"id": project_id}}}, key=key))["assets"]


async def _update(api, key: str, pairs: list[tuple[dict, dict]]) -> list[str]:
    variables = {"whereArray": [w for w, _ in pairs], "dataArray": [d for _, d in pairs]}
    return [a["id"] for a in (await api.data(UPDATE, variables, key=key))["data"]]


async def _error(api, key: str, pairs: list[tuple[dict, dict]]) -> dict:
    variables = {"whereArray": [w for w, _ in pairs], "dataArray": [d for _, d in pairs]}
    return await api.error(UPDATE, variables, key=key)


async def test_each_field_is_written_and_nothing_else(api, seeder, app) -> None:
    org, manager, project, assets, key = await _setup(seeder, status="LABELED", priority=5)
    labeler, _ = await seeder.user(org)
    org_admin, _ = await seeder.user(org, admin=True)
    await seeder.add(models.ProjectMember(project_id=project.id, user_id=labeler.id, role="LABELER"))
    before = await _assets(api, key, project.id)
    image = png_bytes(8, 6)
    stored_key = f"projects/{project.id}/assets/{assets[1].id}/content"
    storage = app.state.services.storage
    storage.internal.put_object(storage.bucket, stored_key, io.BytesIO(image), len(image), content_type="image/png")
    changes = {
        "externalId": "renamed",
        "priority": 9,
        "jsonMetadata": '{"weather": "rain"}',
        "consensusMark": 0.5,
        "honeypotMark": 0.25,
        "isHoneypot": True,
        "isUsedForConsensus": True,
        "content": "https://example.com/new.jpg",
        "jsonContent": '{"text": "t"}',
        "resolution": {"width": 640, "height": 480},
        "toBeLabeledBy": [labeler.email.upper(), org_admin.id],
    }
    ids = await _update(api, key, [({"id": assets[0].id}, changes), ({"id": assets[1].id}, {"content": stored_key})])
    assert ids == [assets[0].id, assets[1].id]
    after = await _assets(api, key, project.id)
    changed = after[0]
    assert changed["externalId"] == "renamed" and changed["priority"] == 9
    assert json.loads(changed["jsonMetadata"]) == {"weather": "rain"}
    assert (changed["consensusMark"], changed["honeypotMark"]) == (0.5, 0.25)
    assert changed["isHoneypot"] is True and changed["isUsedForConsensus"] is True
    assert changed["content"] == changed["url"] == "https://example.com/new.jpg"
    assert changed["jsonContent"] == '{"text": "t"}' and changed["resolution"] == {"width": 640, "height": 480}
    assert sorted(u["id"] for u in changed["toBeLabeledBy"]) == sorted([labeler.id, org_admin.id])
    assert changed["status"] == "LABELED" and changed["updatedAt"] > before[0]["updatedAt"]
    # Stored content: size, type and resolution recorded; the url is a signed GET.
    stored = after[1]
    assert (stored["mimeType"], stored["sizeBytes"], stored["resolution"]) == (
        "image/png",
        len(image),
        {"width": 8, "height": 6},
    )
    assert stored["url"].startswith("http") and stored["url"] != stored_key
    assert {
        k: v
        for k, v in stored.items()
        if k not in {"content", "url", "mimeType", "sizeBytes", "resolution", "updatedAt"}
    } == {
        k: v
        for k, v in before[1].items()
        if k not in {"content", "url", "mimeType", "sizeBytes", "resolution", "updatedAt"}
    }
    assert after[2] == before[2]  # untouched


async def test_assignees_are_added_or_replaced(api, seeder) -> None:
    org, manager, project, [asset], key = await _setup(seeder, count=1)
    alice, _ = await seeder.user(org)
    bob, _ = await seeder.user(org)
    stranger, _ = await seeder.user(org)  # same organization, not a member of the project
    await seeder.add(*[models.ProjectMember(project_id=project.id, user_id=u.id, role="LABELER") for u in (alice, bob)])

    async def assignees() -> list[str]:
        return sorted(u["id"] for u in (await _assets(api, key, project.id))[0]["toBeLabeledBy"])

    await _update(api, key, [({"id": asset.id}, {"toBeLabeledBy": [alice.id]})])
    await _update(api, key, [({"id": asset.id}, {"toBeLabeledBy": [bob.email, alice.id]})])
    assert await assignees() == sorted([alice.id, bob.id])
    await _update(api, key, [({"id": asset.id}, {"toBeLabeledBy": [bob.id], "shouldResetToBeLabeledBy": True})])
    assert await assignees() == [bob.id]
    # What the SDK sends for an empty list: reset to nobody.
    await _update(api, key, [({"id": asset.id}, {"shouldResetToBeLabeledBy": True})])
    assert await assignees() == []
    # Pairs apply in order: a reset then an addition.
    await _update(
        api,
        key,
        [
            ({"id": asset.id}, {"toBeLabeledBy": [alice.id], "shouldResetToBeLabeledBy": True}),
            ({"id": asset.id}, {"toBeLabeledBy": [bob.id]}),
        ],
    )
    assert await assignees() == sorted([alice.id, bob.id])
    error = await _error(api, key, [({"id": asset.id}, {"toBeLabeledBy": [alice.id, stranger.email, "nobody"]})])
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert stranger.email in error["message"] and "'nobody'" in error["message"] and alice.id not in error["message"]
    assert await assignees() == sorted([alice.id, bob.id])


async def test_external_id_changes(api, seeder) -> None:
    _, _, project, assets, key = await _setup(seeder, count=3)
    # Kili's change_asset_external_ids: one pair per asset.
    await _update(api, key, [({"id": a.id}, {"externalId": f"new-{i}"}) for i, a in enumerate(assets)])
    assert [a["externalId"] for a in await _assets(api, key, project.id)] == ["new-0", "new-1", "new-2"]
    # Keeping one's own external id is fine; renaming away frees it for another asset of the call.
    await _update(api, key, [({"id": assets[0].id}, {"externalId": "new-0"})])
    await _update(api, key, [({"id": assets[1].id}, {"externalId": "x"}), ({"id": assets[2].id}, {"externalId": "y"})])
    before = await _assets(api, key, project.id)
    cases = [
        ([({"id": assets[0].id}, {"externalId": "x"})], "CONFLICT", ["'x'"]),
        (
            [({"id": assets[0].id}, {"externalId": "z"}), ({"id": assets[1].id}, {"externalId": "z"})],
            "CONFLICT",
            ["'z'"],
        ),
        ([({"project": {"id": project.id}}, {"externalId": "all"})], "BAD_USER_INPUT", ["Pair 0", "3 assets"]),
        (
            [({"id": assets[0].id}, {"priority": 1}), ({"id": assets[1].id}, {"externalId": ""})],
            "BAD_USER_INPUT",
            ["Pair 1"],
        ),
    ]
    for pairs, code, words in cases:
        error = await _error(api, key, pairs)
        assert error["extensions"]["code"] == code, (pairs, error)
        assert all(w in error["message"] for w in words), (words, error["message"])
    assert await _assets(api, key, project.id) == before


async def test_bad_pairs_fail_the_call_naming_them_and_write_nothing(api, seeder) -> None:
    org, manager, project, assets, key = await _setup(seeder)
    labeler, labeler_key = await seeder.user(org)
    await seeder.add(models.ProjectMember(project_id=project.id, user_id=labeler.id, role="LABELER"))
    other_org = await seeder.organization()
    foreign = await seeder.asset(await seeder.project(other_org))
    before = await _assets(api, key, project.id)
    ok = ({"id": assets[0].id}, {"priority": 42})
    cases = [
        ([ok, ({"id": "no-such-asset"}, {"priority": 1})], "NOT_FOUND", ["Pair 1", "'no-such-asset'"]),
        ([ok, ({"id": foreign.id}, {"priority": 1})], "NOT_FOUND", ["Pair 1"]),
        ([ok, ({"externalIdStrictlyIn": ["nope"]}, {"priority": 1})], "NOT_FOUND", ["Pair 1"]),
        ([ok, ({"id": assets[1].id}, {"jsonMetadata": "{bad"})], "BAD_USER_INPUT", ["Pair 1", "jsonMetadata"]),
        ([ok, ({"id": assets[1].id}, {"jsonMetadata": '"text"'})], "BAD_USER_INPUT", ["Pair 1", "str"]),
        ([ok, ({"id": assets[1].id}, {"content": "not a url"})], "BAD_USER_INPUT", ["Pair 1", assets[1].id]),
        ([ok, ({"id": assets[1].id}, {"content": f"projects/{project.id}/missing"})], "BAD_USER_INPUT", ["Pair 1"]),
        ([ok, ({"id": assets[1].id}, {"content": "projects/elsewhere/x"})], "FORBIDDEN", ["Pair 1"]),
    ]
    for pairs, code, words in cases:
        error = await _error(api, key, pairs)
        assert error["extensions"]["code"] == code, (pairs, error)
        assert all(w in error["message"] for w in words), (words, error["message"])
    error = await api.error(UPDATE, {"whereArray": [{"id": assets[0].id}], "dataArray": []}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "same length" in error["message"]
    error = await _error(api, labeler_key, [ok])
    assert error["extensions"]["code"] == "FORBIDDEN" and "LABELER" in error["message"]
    assert await _assets(api, key, project.id) == before
    assert (await api.data(UPDATE, {"whereArray": [], "dataArray": []}, key=key))["data"] == []
    many = {"whereArray": [{"id": assets[0].id}] * 1001, "dataArray": [{"priority": 1}] * 1001}
    assert (await api.error(UPDATE, many, key=key))["extensions"]["code"] == "BAD_USER_INPUT"


async def test_general_wheres_each_asset_once_in_input_order(api, seeder) -> None:
    _, _, project, assets, key = await _setup(seeder, count=4)
    a, b, c, d = assets
    pairs = [
        ({"id": c.id}, {"priority": 3}),
        ({"externalIdStrictlyIn": [a.external_id, b.external_id]}, {"priority": 7}),
        ({"id": a.id, "label": {}, "issue": {}}, {"priority": 1}),  # later pairs win
        ({"idIn": [c.id], "project": {"id": project.id}}, {"jsonMetadata": '{"k": 1}'}),
    ]
    assert await _update(api, key, pairs) == [c.id, a.id, b.id]
    after = {x["id"]: x for x in await _assets(api, key, project.id)}
    assert [after[x.id]["priority"] for x in (a, b, c, d)] == [1, 7, 3, 0]
    assert json.loads(after[c.id]["jsonMetadata"]) == {"k": 1}


async def test_an_update_of_100_assets_costs_a_fixed_number_of_statements(api, seeder, sql_counter) -> None:
    _, _, project, assets, key = await _setup(seeder, count=100)
    pairs = [({"id": a.id}, {"priority": i, "jsonMetadata": json.dumps({"i": i})}) for i, a in enumerate(assets)]
    with sql_counter:
        ids = await _update(api, key, pairs)
    assert ids == [a.id for a in assets]
    assert sql_counter.count == UPDATE_STATEMENTS, sql_counter.statements
    after = await _assets(api, key, project.id)
    assert [x["priority"] for x in after] == list(range(100))
