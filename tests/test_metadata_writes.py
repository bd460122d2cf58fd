"""updateAssetsMetadata and removeMetadataKey (capability map §3 R6) against the real database: merge
with dotted keys and removal, REPLACE, the seeded sample, bad input, archived projects, concurrent
writers over HTTP on a live gateway, and the statements a call costs."""

from __future__ import annotations

import hashlib
import json

import httpx
from sqlalchemy import select, update

from gateway.db import models
from tests.gates import race_behind_row_locks

UPDATE = """mutation($w: AssetWhere!, $set: JSON, $unset: [String!], $mode: MetadataWriteMode! = MERGE,
  $limit: Int, $seed: Int! = 42) {
  m: updateAssetsMetadata(where: $w, set: $set, unset: $unset, mode: $mode, limit: $limit, seed: $seed) {
    succeeded { assetId externalId } declined { assetId externalId } failed { assetId } } }"""
REMOVE_KEY = "mutation($p: ID!, $k: String!) { m: removeMetadataKey(projectId: $p, key: $k) }"
COUNT = "query($w: AssetWhere!) { countAssets(where: $w) }"


async def _manager(seeder, size: int = 0, **fields):
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    project = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    assets = await seeder.assets(project, size, **fields) if size else []
    return org, manager, key, project, assets


async def _metadata(seeder, ids: list[str]) -> dict[str, dict]:
    async with seeder._session_factory() as session:
        rows = await session.execute(
            select(models.Asset.id, models.Asset.json_metadata).where(models.Asset.id.in_(ids))
        )
        return {i: m for i, m in rows.all()}


async def _updated_at(seeder, ids: list[str]) -> dict[str, object]:
    async with seeder._session_factory() as session:
        rows = await session.execute(select(models.Asset.id, models.Asset.updated_at).where(models.Asset.id.in_(ids)))
        return dict(rows.all())


async def _codes(api, query: str, variables: dict, key: str) -> list[str]:
    body = await api.raw(query, variables, key=key)
    return [e["extensions"]["code"] for e in body.get("errors") or []]


START = {
    "weather": "sun",
    "speed": 12,
    "camera": {"id": "front", "lens": {"mm": 24, "maker": "zeiss"}},
    "tags": [1, 2],
    "flat": "scalar",
    "keep": True,
}


async def test_merge_sets_dotted_keys_keeping_siblings_and_unsets_keys(api, seeder) -> None:
    _, _, key, _, assets = await _manager(seeder, 3, json_metadata=START)
    ids = [a.id for a in assets]
    new = {
        "weather": "rain",  # replaces a top-level value
        "camera.lens.mm": 35,  # deep merge: keeps camera.id and camera.lens.maker
        "camera.position.x": 1.5,  # creates the missing nested object
        "flat.inner": 1,  # a scalar on the way becomes an object
        "night": {"moon": "full"},  # a plain key with an object value replaces (no deep merge)
    }
    unset = ["speed", "camera.id", "absent", "absent.deeper", "tags.x", "tags.0.y", "keep.z"]
    result = (await api.data(UPDATE, {"w": {"idIn": ids[:2]}, "set": new, "unset": unset}, key=key))["m"]
    assert sorted(a["assetId"] for a in result["succeeded"]) == sorted(ids[:2])
    assert result["declined"] == [] and result["failed"] == []
    expected = {
        "weather": "rain",
        "camera": {"lens": {"mm": 35, "maker": "zeiss"}, "position": {"x": 1.5}},
        "tags": [1, 2],
        "flat": {"inner": 1},
        "night": {"moon": "full"},
        "keep": True,
    }
    stored = await _metadata(seeder, ids)
    assert stored[ids[0]] == expected and stored[ids[1]] == expected
    assert stored[ids[2]] == START  # not matched: untouched

    # `set` as a JSON-encoded string (Kili's json* convention) works the same, and filters see the result.
    as_string = {"w": {"idIn": ids}, "set": json.dumps({"camera.lens.mm": 50})}
    await api.data(UPDATE, as_string, key=key)
    stored = await _metadata(seeder, ids)
    assert stored[ids[2]]["camera"] == {"id": "front", "lens": {"mm": 50, "maker": "zeiss"}}
    counted = await api.data(COUNT, {"w": {"idIn": ids, "metadata": {"weather": "rain"}}}, key=key)
    assert counted["countAssets"] == 2

    # Writing what is already there changes nothing, not even updatedAt; the asset still succeeds.
    before = await _updated_at(seeder, ids)
    same = await api.data(UPDATE, {"w": {"idIn": ids}, "set": {"camera.lens.mm": 50}, "unset": ["gone"]}, key=key)
    assert len(same["m"]["succeeded"]) == 3 and await _updated_at(seeder, ids) == before
    await api.data(UPDATE, {"w": {"idIn": ids[:1]}, "set": {"camera.lens.mm": 51}}, key=key)
    after = await _updated_at(seeder, ids)
    assert after[ids[0]] > before[ids[0]] and after[ids[1]] == before[ids[1]]


async def test_replace_writes_the_whole_object_with_dotted_keys_nested(api, seeder) -> None:
    _, _, key, _, assets = await _manager(seeder, 2, json_metadata=START)
    where = {"idIn": [assets[0].id]}
    await api.data(UPDATE, {"w": where, "set": {"a.b": 1, "c": [1]}, "mode": "REPLACE"}, key=key)
    stored = await _metadata(seeder, [a.id for a in assets])
    assert stored[assets[0].id] == {"a": {"b": 1}, "c": [1]} and stored[assets[1].id] == START
    await api.data(UPDATE, {"w": where, "set": "{}", "mode": "REPLACE"}, key=key)
    assert (await _metadata(seeder, [assets[0].id]))[assets[0].id] == {}


async def test_outcome_declines_what_where_names_and_the_call_did_not_act_on(api, seeder) -> None:
    org, manager, key, project, assets = await _manager(seeder, 2)
    other = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    foreign = await seeder.asset(other)
    where = {"idIn": [assets[0].id, foreign.id, "missing"], "project": {"id": project.id}}
    result = (await api.data(UPDATE, {"w": where, "set": {"k": 1}}, key=key))["m"]
    assert [a["assetId"] for a in result["succeeded"]] == [assets[0].id]
    assert [a["assetId"] for a in result["declined"]] == [foreign.id, "missing"]
    assert (await _metadata(seeder, [foreign.id]))[foreign.id] == {}


async def test_bad_input_is_refused_and_writes_nothing(api, seeder) -> None:
    _, _, key, _, assets = await _manager(seeder, 2, json_metadata={"a": 1})
    ids = [a.id for a in assets]
    bad = [
        {"set": [1, 2]},
        {"set": 5},
        {"set": True},
        {"set": "5"},
        {"set": "null"},
        {"set": {"a\u0000": 1}},
        {"set": {"a": "x\u0000"}},
        {"set": {".".join(["k"] * 17): 1}},
        {"unset": ["x" * 300]},
        {"unset": [""]},
        {"set": "not json"},
        {"set": "[1]"},
        {"set": {"": 1}},
        {"set": {"a..b": 1}},
        {"set": {"x": 1, "x.y": 2}},  # written twice
        {"set": {"x.y": 1}, "unset": ["x"]},  # set below an unset key
        {"set": {"x": 1}, "unset": ["x.y"]},  # unset below a set key
        {"set": {"x": 1}, "unset": ["x"]},
        {"set": {"x": 1}, "unset": ["."]},
        {"set": {"x": 1}, "mode": "REPLACE", "unset": ["a"]},
        {"mode": "REPLACE"},
        {},  # nothing to write
        {"set": {}, "unset": []},
        {"set": {"x": 1}, "limit": -1},
        {"set": {"x": 1}, "limit": 10_001},
        {"set": {f"k{i}.v": i for i in range(101)}},
    ]
    for variables in bad:
        assert await _codes(api, UPDATE, {"w": {"idIn": ids}, **variables}, key) == ["BAD_USER_INPUT"], variables
    assert await _codes(api, UPDATE, {"w": {}, "set": {"x": 1}}, key) == ["BAD_USER_INPUT"]
    assert await _codes(api, UPDATE, {"w": {}, "set": {"x": 1}, "limit": 1}, key) == ["BAD_USER_INPUT"]
    assert set(map(json.dumps, (await _metadata(seeder, ids)).values())) == {json.dumps({"a": 1})}


async def test_archived_project_is_locked_and_nothing_is_written(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 1, json_metadata={"a": 1})
    async with seeder._session_factory() as session:
        await session.execute(update(models.Project).where(models.Project.id == project.id).values(archived=True))
        await session.commit()
    assert await _codes(api, UPDATE, {"w": {"idIn": [assets[0].id]}, "set": {"b": 2}}, key) == ["LOCKED"]
    assert await _codes(api, REMOVE_KEY, {"p": project.id, "k": "a"}, key) == ["LOCKED"]
    assert (await _metadata(seeder, [assets[0].id]))[assets[0].id] == {"a": 1}


def _md5_sample(ids: list[str], seed: int, limit: int) -> list[str]:
    """The sample computed independently: ids ordered by md5("<seed>:<id>"), the first `limit`."""
    return sorted(sorted(ids, key=lambda i: hashlib.md5(f"{seed}:{i}".encode()).hexdigest())[:limit])


async def test_limit_writes_a_deterministic_sample_fixed_by_the_seed(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 30)
    ids = [a.id for a in assets]
    where = {"project": {"id": project.id}}
    samples = {}
    for seed in (1, 2):
        result = await api.data(UPDATE, {"w": where, "set": {f"s{seed}": True}, "limit": 7, "seed": seed}, key=key)
        samples[seed] = sorted(a["assetId"] for a in result["m"]["succeeded"])
        assert samples[seed] == _md5_sample(ids, seed, 7)
    assert samples[1] != samples[2]
    stored = await _metadata(seeder, ids)
    assert sorted(i for i, m in stored.items() if m.get("s1")) == samples[1]
    again = await api.data(UPDATE, {"w": where, "set": {"again": 1}, "limit": 7, "seed": 1}, key=key)
    assert sorted(a["assetId"] for a in again["m"]["succeeded"]) == samples[1]
    zero = await api.data(UPDATE, {"w": where, "set": {"z": 1}, "limit": 0}, key=key)
    assert zero["m"]["succeeded"] == []


async def post_gated(app, live_gateway, key: str, asset_ids: list[str], requests: list[tuple[str, dict]]) -> list[dict]:
    """Posts every request to the live gateway over HTTP so that they race (tests/gates.py). Their answers."""
    headers = {"Authorization": f"X-API-Key: {key}"}
    async with httpx.AsyncClient(base_url=live_gateway.url, headers=headers, timeout=60) as client:

        async def post(query: str, variables: dict) -> dict:
            return (await client.post("/graphql", json={"query": query, "variables": variables})).json()

        posts = [lambda q=query, v=variables: post(q, v) for query, variables in requests]
        return await race_behind_row_locks(app.state.services.engine, asset_ids, posts)


async def test_concurrent_writers_of_different_keys_lose_none(seeder, live_gateway, app) -> None:
    """Eight HTTP requests to a live gateway, each setting its own top-level key and its own key in
    one shared nested object on the same assets, sent while a gate transaction holds the rows, so
    that they all wait and then race. Every key of every writer must be there at the end (a merge
    read and written back by the client, as Kili's add_metadata does, fails this)."""
    _, _, key, project, assets = await _manager(seeder, 40, json_metadata={"shared": {"base": 0}, "x": 0})
    ids = [a.id for a in assets]
    writers = 8
    where = {"project": {"id": project.id}}
    requests = [(UPDATE, {"w": where, "set": {f"k{n}": n, f"shared.w{n}": n}}) for n in range(writers)]
    bodies = await post_gated(app, live_gateway, key, ids, requests)
    for body in bodies:
        assert not body.get("errors"), body
        assert sorted(a["assetId"] for a in body["data"]["m"]["succeeded"]) == sorted(ids)
    expected = {
        "x": 0,
        "shared": {"base": 0, **{f"w{n}": n for n in range(writers)}},
        **{f"k{n}": n for n in range(writers)},
    }
    stored = await _metadata(seeder, ids)
    assert all(m == expected for m in stored.values()), next(m for m in stored.values() if m != expected)


async def test_remove_metadata_key_removes_it_from_every_asset_of_the_project(api, seeder) -> None:
    org, manager, key, project, assets = await _manager(seeder, 3)
    metadata = [{"a": 1, "n": {"b": 2, "c": 3}}, {"a": 2, "n": "text"}, {"z": [1]}]
    async with seeder._session_factory() as session:
        for asset, m in zip(assets, metadata, strict=True):
            await session.execute(update(models.Asset).where(models.Asset.id == asset.id).values(json_metadata=m))
        await session.commit()
    other = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    foreign = await seeder.asset(other, json_metadata={"a": 9})
    assert (await api.data(REMOVE_KEY, {"p": project.id, "k": "a"}, key=key))["m"] == 2
    assert (await api.data(REMOVE_KEY, {"p": project.id, "k": "n.b"}, key=key))["m"] == 1
    assert (await api.data(REMOVE_KEY, {"p": project.id, "k": "z.0.q"}, key=key))["m"] == 0
    assert (await api.data(REMOVE_KEY, {"p": project.id, "k": "a"}, key=key))["m"] == 0
    stored = await _metadata(seeder, [*(a.id for a in assets), foreign.id])
    assert [stored[a.id] for a in assets] == [{"n": {"c": 3}}, {"n": "text"}, {"z": [1]}]
    assert stored[foreign.id] == {"a": 9}
    assert await _codes(api, REMOVE_KEY, {"p": project.id, "k": "a..b"}, key) == ["BAD_USER_INPUT"]
    assert await _codes(api, REMOVE_KEY, {"p": "nope", "k": "a"}, key) == ["NOT_FOUND"]


async def _statements(api, sql_counter, query: str, variables: dict, key: str) -> int:
    sql_counter.statements.clear()
    with sql_counter:
        await api.data(query, variables, key=key)
    return sql_counter.count


def where_of(project) -> dict:
    return {"project": {"id": project.id}}


async def test_statement_counts_do_not_grow_with_the_number_of_assets(api, seeder, sql_counter) -> None:
    counts: dict[int, dict[str, int]] = {}
    for size in (1, 1000):
        _, _, key, project, assets = await _manager(seeder, size, json_metadata={"a": {"b": 1}})
        named = {**where_of(project), "idIn": [assets[0].id, "gone"]}
        where = where_of(project)
        merge = {"w": where, "set": {"c.d": 1, "e": 2}, "unset": ["a.b"]}
        counts[size] = {
            "merge": await _statements(api, sql_counter, UPDATE, merge, key),
            "sample": await _statements(api, sql_counter, UPDATE, {**merge, "limit": size}, key),
            "named": await _statements(api, sql_counter, UPDATE, {**merge, "w": named}, key),
            "nothing": await _statements(api, sql_counter, UPDATE, {**merge, "w": {**where, "idIn": []}}, key),
            "removeKey": await _statements(api, sql_counter, REMOVE_KEY, {"p": project.id, "k": "e"}, key),
        }
    # Authentication (1), lock (1), roles (1), archive check (1), UPDATE (1), + the lookup of named
    # assets not acted on (1) when there are some; nothing matched: no roles, archive check or UPDATE.
    # removeMetadataKey: authentication, roles, archive check, one UPDATE.
    assert counts[1] == counts[1000], counts
    assert counts[1] == {"merge": 5, "sample": 5, "named": 6, "nothing": 2, "removeKey": 4}, counts


async def test_the_kili_sdk_graphql_client_runs_curation_writes(kili_connect, seeder) -> None:
    """kili 26.2.4 users reach the new mutations through the SDK's own GraphQL client (which validates
    documents against the schema it introspects), and the SDK's listing then reads what they wrote."""
    _, _, key, project, assets = await _manager(seeder, 2, json_metadata={"camera": {"id": "front"}})
    kili = kili_connect(key)
    written = kili.graphql_client.execute(
        query=UPDATE, variables={"w": {"project": {"id": project.id}}, "set": {"camera.lens": 35, "night": True}}
    )
    assert sorted(a["assetId"] for a in written["m"]["succeeded"]) == sorted(a.id for a in assets)
    tagged = kili.graphql_client.execute(
        query='mutation($w: AssetWhere!) { m: addTagsToAssets(where: $w, tags: ["rain"]) { succeeded { assetId } } }',
        variables={"w": {"idIn": [assets[0].id]}},
    )
    assert [a["assetId"] for a in tagged["m"]["succeeded"]] == [assets[0].id]
    listed = kili.assets(project_id=project.id, fields=["id", "jsonMetadata"], disable_tqdm=True)
    assert {a["id"]: a["jsonMetadata"] for a in listed} == {
        a.id: {"camera": {"id": "front", "lens": 35}, "night": True} for a in assets
    }
    found = kili.graphql_client.execute(
        query="query($w: AssetWhere!) { countAssets(where: $w) }",
        variables={"w": {"project": {"id": project.id}, "tagsIn": ["rain"]}},
    )
    assert found["countAssets"] == 1
