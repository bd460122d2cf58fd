"""Writing sets (R1) against the real database: every mutation, the lock, concurrency on one set,
seeded sampling and splits (SceneBox's sizes rule), and the SQL statements each call costs."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import select

from gateway.db import models
from resolvers.set_writes import split_sizes
from tests.test_workflow import _exists, _stored_asset

CREATE = """mutation($d: CreateSetData!) { m: createSet(data: $d) {
  id projectId name description tags jsonAuxMetadata isLocked originSetId numberOfAssets } }"""
UPDATE = """mutation($s: ID!, $d: UpdateSetData!) {
  m: updateSet(id: $s, data: $d) { id name description tags jsonAuxMetadata } }"""
ADD = """mutation($s: ID!, $w: AssetWhere!, $limit: Int, $seed: Int! = 42) {
  m: addAssetsToSet(setId: $s, where: $w, limit: $limit, seed: $seed) {
    succeeded { assetId externalId } declined { assetId externalId } failed { assetId } } }"""
REMOVE = """mutation($s: ID!, $w: AssetWhere!) {
  m: removeAssetsFromSet(setId: $s, where: $w) { succeeded { assetId } declined { assetId } failed { assetId } } }"""
LOCK = "mutation($s: ID!) { m: lockSet(id: $s) { id isLocked } }"
UNLOCK = "mutation($s: ID!) { m: unlockSet(id: $s) { id isLocked } }"
SPLIT = """mutation($s: ID!, $sections: Int, $fractions: [Float!], $names: [String!], $seed: Int! = 42) {
  m: splitSet(id: $s, sections: $sections, fractions: $fractions, names: $names, seed: $seed) {
    id name originSetId numberOfAssets } }"""
DELETE = """mutation($s: ID!, $content: Boolean! = false) {
  m: deleteSet(id: $s, deleteContent: $content) { succeeded { assetId } declined { assetId } failed { assetId } } }"""
MEMBERS = "query($s: ID!) { set(id: $s) { numberOfAssets } }"


async def _manager(seeder, size: int = 0):
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    project = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    assets = await seeder.assets(project, size) if size else []
    return org, manager, key, project, assets


async def _codes(api, query: str, variables: dict, key: str) -> list[str]:
    body = await api.raw(query, variables, key=key)
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def _members(api, seeder, key: str, set_id: str) -> list[str]:
    """The set's members as the database holds them, checked against `numberOfAssets`."""
    ids = sorted((await _added_at(seeder, set_id)).keys())
    assert (await api.data(MEMBERS, {"s": set_id}, key=key))["set"]["numberOfAssets"] == len(ids)
    return ids


async def _added_at(seeder, set_id: str) -> dict[str, object]:
    async with seeder._session_factory() as session:
        rows = (await session.execute(select(models.SetAsset).where(models.SetAsset.set_id == set_id))).scalars()
        return {r.asset_id: r.added_at for r in rows}


async def test_create_and_update_a_set_with_unique_names(api, seeder) -> None:
    _, _, key, project, _ = await _manager(seeder)
    data = {"projectId": project.id, "name": "rainy", "tags": ["rain"], "jsonAuxMetadata": '{"k": 1}'}
    created = (await api.data(CREATE, {"d": data}, key=key))["m"]
    assert created["name"] == "rainy" and created["tags"] == ["rain"] and created["numberOfAssets"] == 0
    assert json.loads(created["jsonAuxMetadata"]) == {"k": 1} and not created["isLocked"]
    assert await _codes(api, CREATE, {"d": data}, key) == ["CONFLICT"]
    derived = {"projectId": project.id, "name": "derived", "originSetId": created["id"]}
    assert (await api.data(CREATE, {"d": derived}, key=key))["m"]["originSetId"] == created["id"]
    bad = [
        {"projectId": project.id, "name": " "},
        {"projectId": project.id, "name": "x", "jsonAuxMetadata": "[1]"},
        {"projectId": project.id, "name": "y", "originSetId": "nope"},
    ]
    for d in bad:
        assert await _codes(api, CREATE, {"d": d}, key) == ["BAD_USER_INPUT"], d
    assert await _codes(api, CREATE, {"d": {"projectId": "nope", "name": "z"}}, key) == ["NOT_FOUND"]

    updated = (await api.data(UPDATE, {"s": created["id"], "d": {"name": "wet", "tags": ["a", "b"]}}, key=key))["m"]
    assert updated["name"] == "wet" and updated["tags"] == ["a", "b"]
    assert await _codes(api, UPDATE, {"s": created["id"], "d": {"name": "derived"}}, key) == ["CONFLICT"]
    assert await _codes(api, UPDATE, {"s": "nope", "d": {"name": "q"}}, key) == ["NOT_FOUND"]


async def test_add_is_idempotent_keeps_added_at_and_declines_other_projects(api, seeder) -> None:
    org, manager, key, project, assets = await _manager(seeder, 4)
    other = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    foreign = await seeder.asset(other)
    asset_set = await seeder.asset_set(project, [])
    ids = [a.id for a in assets[:2]]
    first = (await api.data(ADD, {"s": asset_set.id, "w": {"idIn": ids}}, key=key))["m"]
    assert sorted(a["assetId"] for a in first["succeeded"]) == sorted(ids) and first["declined"] == []
    before = await _added_at(seeder, asset_set.id)

    again = {"idIn": [*ids, assets[2].id, foreign.id, "missing"]}
    second = (await api.data(ADD, {"s": asset_set.id, "w": again}, key=key))["m"]
    assert sorted(a["assetId"] for a in second["succeeded"]) == sorted([*ids, assets[2].id])
    assert sorted(a["assetId"] for a in second["declined"]) == sorted([foreign.id, "missing"])
    after = await _added_at(seeder, asset_set.id)
    assert {i: after[i] for i in ids} == before and len(after) == 3
    assert await _members(api, seeder, key, asset_set.id) == sorted([*ids, assets[2].id])

    assert await _codes(api, ADD, {"s": asset_set.id, "w": {}}, key) == ["BAD_USER_INPUT"]
    assert await _codes(api, ADD, {"s": asset_set.id, "w": {"idIn": ids}, "limit": -1}, key) == ["BAD_USER_INPUT"]
    assert await _codes(api, ADD, {"s": "nope", "w": {"idIn": ids}}, key) == ["NOT_FOUND"]


async def test_remove_takes_members_out_and_declines_what_was_not_in(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 3)
    asset_set = await seeder.asset_set(project, assets[:2])
    result = (await api.data(REMOVE, {"s": asset_set.id, "w": {"idIn": [assets[0].id, assets[2].id]}}, key=key))["m"]
    assert [a["assetId"] for a in result["succeeded"]] == [assets[0].id]
    assert [a["assetId"] for a in result["declined"]] == [assets[2].id]
    assert await _members(api, seeder, key, asset_set.id) == [assets[1].id]
    by_search = (await api.data(REMOVE, {"s": asset_set.id, "w": {"project": {"id": project.id}}}, key=key))["m"]
    assert [a["assetId"] for a in by_search["succeeded"]] == [assets[1].id]
    assert await _members(api, seeder, key, asset_set.id) == []
    async with seeder._session_factory() as session:  # the assets themselves stay
        assert (
            len((await session.execute(select(models.Asset.id).where(models.Asset.project_id == project.id))).all())
            == 3
        )


async def test_a_locked_set_refuses_membership_changes_and_lock_is_idempotent(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 2)
    asset_set = await seeder.asset_set(project, [assets[0]])
    for _ in range(2):
        assert (await api.data(LOCK, {"s": asset_set.id}, key=key))["m"]["isLocked"] is True
    where = {"idIn": [assets[1].id]}
    assert await _codes(api, ADD, {"s": asset_set.id, "w": where}, key) == ["LOCKED"]
    assert await _codes(api, REMOVE, {"s": asset_set.id, "w": where}, key) == ["LOCKED"]
    assert await _codes(api, SPLIT, {"s": asset_set.id, "sections": 2}, key) == ["LOCKED"]
    assert await _codes(api, DELETE, {"s": asset_set.id}, key) == ["LOCKED"]
    assert (await api.data(UPDATE, {"s": asset_set.id, "d": {"description": "ok"}}, key=key))["m"][
        "description"
    ] == "ok"
    assert await _members(api, seeder, key, asset_set.id) == [assets[0].id]
    for _ in range(2):
        assert (await api.data(UNLOCK, {"s": asset_set.id}, key=key))["m"]["isLocked"] is False
    assert (await api.data(ADD, {"s": asset_set.id, "w": where}, key=key))["m"]["succeeded"]


async def test_an_archived_project_locks_its_sets(api, seeder) -> None:
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    project = await seeder.project(org, members={manager.id: "TEAM_MANAGER"}, archived=True)
    asset = await seeder.asset(project)
    asset_set = await seeder.asset_set(project, [])
    assert await _codes(api, CREATE, {"d": {"projectId": project.id, "name": "n"}}, key) == ["LOCKED"]
    assert await _codes(api, ADD, {"s": asset_set.id, "w": {"idIn": [asset.id]}}, key) == ["LOCKED"]
    assert await _codes(api, LOCK, {"s": asset_set.id}, key) == ["LOCKED"]


async def test_delete_set_keeps_or_deletes_its_content(api, seeder, settings) -> None:
    _, _, key, project, assets = await _manager(seeder, 2)
    assets.append(await _stored_asset(seeder, settings, project))
    assets[1:] = [assets[2], assets[1]]  # the stored one goes with the set, assets[2] stays
    keep = await seeder.asset_set(project, assets[:2])
    assert (await api.data(DELETE, {"s": keep.id}, key=key))["m"] == {"succeeded": [], "declined": [], "failed": []}
    assert await _codes(api, MEMBERS, {"s": keep.id}, key) == ["NOT_FOUND"]
    drop = await seeder.asset_set(project, assets[:2])
    result = (await api.data(DELETE, {"s": drop.id, "content": True}, key=key))["m"]
    assert sorted(a["assetId"] for a in result["succeeded"]) == sorted(a.id for a in assets[:2])
    async with seeder._session_factory() as session:
        left = (await session.execute(select(models.Asset.id).where(models.Asset.project_id == project.id))).all()
        sets = (await session.execute(select(models.AssetSet.id).where(models.AssetSet.id == drop.id))).all()
    assert [r[0] for r in left] == [assets[2].id] and sets == []
    # deleteAssets' machinery: the stored object is removed once the deletion has committed.
    assert not _exists(settings, assets[1].storage_key)


@pytest.mark.parametrize(
    ("n", "sections", "fractions", "expected"),
    [
        (0, None, [0.7, 0.3], [0, 0]),
        (1, None, [0.7, 0.3], [1, 0]),
        (7, None, [0.7, 0.3], [5, 2]),  # floor 4 and 2, the leftover to the first
        (7, None, [0.5, 0.25, 0.25], [4, 2, 1]),  # floor 3, 1, 1; two leftovers to the first two
        (1000, None, [0.7, 0.2, 0.1], [700, 200, 100]),
        (1000, None, [0.29, 0.71], [290, 710]),  # 0.29 * 1000 is not quite 290 in floating point
        (10, None, [0.25, 0.25], [3, 2]),  # Σf < 1: floor(Σf·n) = 5 go out, not all 10
        (7, 3, None, [3, 2, 2]),
        (0, 2, None, [0, 0]),
        (1000, 3, None, [334, 333, 333]),
    ],
)
def test_split_sizes_follow_scenebox_rule(n, sections, fractions, expected) -> None:
    assert split_sizes(n, sections, fractions) == expected


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
async def test_sample_then_split_by_fractions_is_reproducible_for_a_seed(api, seeder, n) -> None:
    _, _, key, project, assets = await _manager(seeder, n + 3)
    rainy = await seeder.asset_set(project, [], name=f"rainy-{n}")
    where = {"project": {"id": project.id}}
    sample = (await api.data(ADD, {"s": rainy.id, "w": where, "limit": n, "seed": 7}, key=key))["m"]
    assert len(sample["succeeded"]) == n
    # The same seed samples the same assets; another seed (almost surely) others.
    probe = await seeder.asset_set(project, [], name=f"probe-{n}")
    same = (await api.data(ADD, {"s": probe.id, "w": where, "limit": n, "seed": 7}, key=key))["m"]
    assert same["succeeded"] == sample["succeeded"]
    if n >= 7:
        await api.data(REMOVE, {"s": probe.id, "w": where}, key=key)
        other = (await api.data(ADD, {"s": probe.id, "w": where, "limit": n, "seed": 8}, key=key))["m"]
        assert {a["assetId"] for a in other["succeeded"]} != {a["assetId"] for a in sample["succeeded"]}

    variables = {"s": rainy.id, "fractions": [0.7, 0.3], "names": [f"train-{n}", f"val-{n}"], "seed": 3}
    subsets = (await api.data(SPLIT, variables, key=key))["m"]
    assert [s["name"] for s in subsets] == [f"train-{n}", f"val-{n}"]
    assert [s["numberOfAssets"] for s in subsets] == split_sizes(n, None, [0.7, 0.3])
    assert all(s["originSetId"] == rainy.id for s in subsets)
    parts = [set(await _members(api, seeder, key, s["id"])) for s in subsets]
    assert parts[0].isdisjoint(parts[1]) and parts[0] | parts[1] == set(await _members(api, seeder, key, rainy.id))
    # The same seed on the same members cuts the same subsets (default names this time).
    again = (await api.data(SPLIT, {**variables, "names": None}, key=key))["m"]
    assert [s["name"] for s in again] == [f"rainy-{n}/split-0", f"rainy-{n}/split-1"]
    assert [set(await _members(api, seeder, key, s["id"])) for s in again] == parts
    assert await _codes(api, SPLIT, {**variables, "names": None}, key) == ["CONFLICT"]
    assert len(await _members(api, seeder, key, rainy.id)) == n  # the source set is unchanged


async def test_split_refuses_bad_arguments(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 2)
    asset_set = await seeder.asset_set(project, assets)
    for variables in [
        {},
        {"sections": 2, "fractions": [0.5]},
        {"sections": 1},
        {"fractions": [0.8, 0.3]},
        {"fractions": [0.0, 0.5]},
        {"fractions": [0.5, 0.5], "names": ["a"]},
        {"fractions": [0.5, 0.5], "names": ["a", "a"]},
    ]:
        assert await _codes(api, SPLIT, {"s": asset_set.id, **variables}, key) == ["BAD_USER_INPUT"], variables


async def test_concurrent_adds_and_removes_on_one_set_do_not_deadlock(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 40)
    asset_set = await seeder.asset_set(project, assets[:20])
    adds = [{"idIn": [a.id for a in assets[20 + 4 * i : 24 + 4 * i]]} for i in range(5)]
    removes = [{"idIn": [a.id for a in assets[4 * i : 4 * i + 4]]} for i in range(5)]
    calls = [api.raw(ADD, {"s": asset_set.id, "w": w}, key=key) for w in adds]
    calls += [api.raw(REMOVE, {"s": asset_set.id, "w": w}, key=key) for w in removes]
    # The same assets added and removed concurrently: which wins depends on the commit order.
    contested = {"idIn": [a.id for a in assets[36:40]]}
    calls += [api.raw(REMOVE, {"s": asset_set.id, "w": contested}, key=key)]
    bodies = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    assert all(not b.get("errors") for b in bodies), bodies
    members = set(await _members(api, seeder, key, asset_set.id))
    removed_contested = {a["assetId"] for a in bodies[-1]["data"]["m"]["succeeded"]}
    expected = {a.id for a in assets[20:40]} - removed_contested
    assert members == expected


async def _statements(api, sql_counter, query: str, variables: dict, key: str) -> int:
    sql_counter.statements.clear()
    with sql_counter:
        await api.data(query, variables, key=key)
    return sql_counter.count


async def test_statement_counts_do_not_grow_with_the_number_of_assets(api, seeder, sql_counter) -> None:
    counts: dict[int, dict[str, int]] = {}
    for size in (1, 1000):
        _, _, key, project, assets = await _manager(seeder, size)
        asset_set = await seeder.asset_set(project, [])
        where = {"project": {"id": project.id}}
        counts[size] = {
            "add": await _statements(api, sql_counter, ADD, {"s": asset_set.id, "w": where}, key),
            "sample": await _statements(api, sql_counter, ADD, {"s": asset_set.id, "w": where, "limit": size}, key),
            "split": await _statements(api, sql_counter, SPLIT, {"s": asset_set.id, "sections": 2}, key),
            "remove": await _statements(api, sql_counter, REMOVE, {"s": asset_set.id, "w": where}, key),
            "delete": await _statements(api, sql_counter, DELETE, {"s": asset_set.id}, key),
        }
    print(f"\nSQL statements per set mutation, 1 and 1,000 assets: {counts}")
    assert counts[1] == counts[1000] == EXPECTED_STATEMENTS, counts


# Each: the set row lock, the role, the archive lock, the write(s), COMMIT (see resolvers/set_writes.py).
# add/remove: + the one INSERT ... SELECT (or DELETE) answering the assets, the set's updatedAt.
# split: + the count, the names taken, the subsets' INSERT, the members' INSERT ... SELECT, and one
# batched statement for the subsets' numberOfAssets (the loader).
# delete (without content): + the DELETE.
EXPECTED_STATEMENTS = {"add": 6, "sample": 6, "split": 9, "remove": 6, "delete": 5}


async def test_adding_ten_thousand_assets_by_a_where(api, seeder, sql_counter) -> None:
    _, _, key, project, _ = await _manager(seeder)
    await seeder.assets(project, 10_000)
    asset_set = await seeder.asset_set(project, [])
    sql_counter.statements.clear()
    started = time.perf_counter()
    with sql_counter:
        result = (await api.data(ADD, {"s": asset_set.id, "w": {"project": {"id": project.id}}}, key=key))["m"]
    elapsed = time.perf_counter() - started
    print(f"\nadding 10,000 assets by a where: {sql_counter.count} statements, {elapsed:.2f} s")
    assert len(result["succeeded"]) == 10_000
    assert sql_counter.count == EXPECTED_STATEMENTS["add"]
