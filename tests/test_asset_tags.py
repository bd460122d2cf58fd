"""Asset tags (capability map §3 R6) against the real database: addTagsToAssets and
removeTagsFromAssets (idempotent, each tag once, sorted), Asset.tags, AssetWhere.tagsIn/tagsNotIn
checked against plain SQL, bad input, archived projects, and the statements a call costs."""

from __future__ import annotations

from sqlalchemy import select, text, update

from gateway.db import models
from tests.test_metadata_writes import post_gated

ADD = """mutation($w: AssetWhere!, $tags: [String!]!) { m: addTagsToAssets(where: $w, tags: $tags) {
  succeeded { assetId } declined { assetId } failed { assetId } } }"""
REMOVE = """mutation($w: AssetWhere!, $tags: [String!]!) { m: removeTagsFromAssets(where: $w, tags: $tags) {
  succeeded { assetId } declined { assetId } failed { assetId } } }"""
ASSETS = "query($w: AssetWhere!) { assets(where: $w, first: 100, skip: 0) { id tags updatedAt } }"
COUNT = "query($w: AssetWhere!) { countAssets(where: $w) }"


async def _manager(seeder, size: int):
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    project = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    return org, manager, key, project, await seeder.assets(project, size)


async def _tags(api, key: str, project) -> dict[str, list[str]]:
    rows = (await api.data(ASSETS, {"w": {"project": {"id": project.id}}}, key=key))["assets"]
    return {r["id"]: r["tags"] for r in rows}


async def _codes(api, query: str, variables: dict, key: str) -> list[str]:
    body = await api.raw(query, variables, key=key)
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_add_and_remove_keep_each_tag_once_sorted_and_are_idempotent(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 3)
    ids = [a.id for a in assets]
    first = await api.data(ADD, {"w": {"idIn": ids[:2]}, "tags": ["rain", "Night", "rain", "été", "b"]}, key=key)
    assert sorted(a["assetId"] for a in first["m"]["succeeded"]) == sorted(ids[:2])
    tags = await _tags(api, key, project)
    assert tags[ids[0]] == tags[ids[1]] == sorted(["rain", "Night", "été", "b"]) == ["Night", "b", "rain", "été"]
    assert tags[ids[2]] == []

    before = {r["id"]: r["updatedAt"] for r in (await api.data(ASSETS, {"w": {"idIn": ids}}, key=key))["assets"]}
    again = await api.data(ADD, {"w": {"idIn": ids}, "tags": ["rain", "a"]}, key=key)
    assert sorted(a["assetId"] for a in again["m"]["succeeded"]) == sorted(ids)
    tags = await _tags(api, key, project)
    assert tags[ids[0]] == ["Night", "a", "b", "rain", "été"] and tags[ids[2]] == ["a", "rain"]

    removed = await api.data(REMOVE, {"w": {"idIn": ids}, "tags": ["rain", "missing", "Night"]}, key=key)
    assert sorted(a["assetId"] for a in removed["m"]["succeeded"]) == sorted(ids)
    tags = await _tags(api, key, project)
    assert tags[ids[0]] == ["a", "b", "été"] and tags[ids[2]] == ["a"]

    # Removing what is not there changes nothing, not even updatedAt.
    after = {r["id"]: r["updatedAt"] for r in (await api.data(ASSETS, {"w": {"idIn": ids}}, key=key))["assets"]}
    await api.data(REMOVE, {"w": {"idIn": ids}, "tags": ["never"]}, key=key)
    await api.data(ADD, {"w": {"idIn": ids}, "tags": ["a"]}, key=key)
    unchanged = {r["id"]: r["updatedAt"] for r in (await api.data(ASSETS, {"w": {"idIn": ids}}, key=key))["assets"]}
    assert unchanged == after and after != before


async def test_tags_in_and_tags_not_in_agree_with_plain_sql(api, seeder) -> None:
    _, _, key, project, assets = await _manager(seeder, 12)
    vocabulary = ["car", "bus", "night", "rain"]
    for index, asset in enumerate(assets):
        chosen = [t for bit, t in enumerate(vocabulary) if index >> bit & 1]
        if chosen:
            await api.data(ADD, {"w": {"idIn": [asset.id]}, "tags": chosen}, key=key)
    in_project = {"project": {"id": project.id}}
    cases = [["car"], ["car", "night"], ["rain"], ["nope"], []]
    async with seeder._session_factory() as session:
        for tags in cases:
            any_of = (
                await session.execute(
                    text("SELECT count(*) FROM asset WHERE project_id = :p AND tags && CAST(:t AS text[])"),
                    {"p": project.id, "t": tags},
                )
            ).scalar_one()
            none_of = (
                await session.execute(
                    text("SELECT count(*) FROM asset WHERE project_id = :p AND NOT (tags && CAST(:t AS text[]))"),
                    {"p": project.id, "t": tags},
                )
            ).scalar_one()
            got_in = (await api.data(COUNT, {"w": {**in_project, "tagsIn": tags}}, key=key))["countAssets"]
            got_not_in = (await api.data(COUNT, {"w": {**in_project, "tagsNotIn": tags}}, key=key))["countAssets"]
            assert (got_in, got_not_in) == (any_of, none_of), tags
    # The truth above is not trivial: the cases see different counts.
    assert (await api.data(COUNT, {"w": {**in_project, "tagsIn": ["car"]}}, key=key))["countAssets"] == 6
    assert (await api.data(COUNT, {"w": {**in_project, "tagsIn": []}}, key=key))["countAssets"] == 0
    assert (await api.data(COUNT, {"w": {**in_project, "tagsNotIn": []}}, key=key))["countAssets"] == 12
    both = {**in_project, "tagsIn": ["car"], "tagsNotIn": ["night"]}
    listed = (await api.data(ASSETS, {"w": both}, key=key))["assets"]
    assert len(listed) == 4 and all("car" in a["tags"] and "night" not in a["tags"] for a in listed)
    # Removing by tag: the where of a tag write may itself filter on tags.
    result = await api.data(REMOVE, {"w": {**in_project, "tagsIn": ["bus"]}, "tags": ["bus"]}, key=key)
    assert len(result["m"]["succeeded"]) == 6
    assert (await api.data(COUNT, {"w": {**in_project, "tagsIn": ["bus"]}}, key=key))["countAssets"] == 0


async def test_outcome_bad_input_and_archived_projects(api, seeder) -> None:
    org, manager, key, project, assets = await _manager(seeder, 2)
    other = await seeder.project(org, members={manager.id: "TEAM_MANAGER"})
    foreign = await seeder.asset(other)
    where = {"idIn": [assets[0].id, foreign.id, "missing"], "project": {"id": project.id}}
    result = (await api.data(ADD, {"w": where, "tags": ["t"]}, key=key))["m"]
    assert [a["assetId"] for a in result["succeeded"]] == [assets[0].id]
    assert [a["assetId"] for a in result["declined"]] == [foreign.id, "missing"]

    ids = {"idIn": [assets[1].id]}
    for tags in ([], [""], ["  "], [" padded"], ["x" * 129], [f"t{i}" for i in range(101)]):
        for mutation in (ADD, REMOVE):
            assert await _codes(api, mutation, {"w": ids, "tags": tags}, key) == ["BAD_USER_INPUT"], tags
    assert await _codes(api, ADD, {"w": {}, "tags": ["t"]}, key) == ["BAD_USER_INPUT"]
    async with seeder._session_factory() as session:
        await session.execute(update(models.Project).where(models.Project.id == project.id).values(archived=True))
        await session.commit()
    assert await _codes(api, ADD, {"w": ids, "tags": ["u"]}, key) == ["LOCKED"]
    assert await _codes(api, REMOVE, {"w": {"idIn": [assets[0].id]}, "tags": ["t"]}, key) == ["LOCKED"]
    async with seeder._session_factory() as session:
        rows = await session.execute(
            select(models.Asset.id, models.Asset.tags).where(models.Asset.project_id == project.id)
        )
        assert dict(rows.all()) == {assets[0].id: ["t"], assets[1].id: []}


async def test_concurrent_tag_writers_lose_no_tag(seeder, live_gateway, app) -> None:
    """Six writers add one tag each and one removes a tag the assets had, racing on the same rows over
    HTTP: every added tag is there at the end, the removed one is gone, each tag once and sorted."""
    _, _, key, project, assets = await _manager(seeder, 30)
    ids = [a.id for a in assets]
    where = {"project": {"id": project.id}}
    await post_gated(app, live_gateway, key, ids, [(ADD, {"w": where, "tags": ["old", "keep"]})])
    requests = [(ADD, {"w": where, "tags": [f"t{n}", "shared"]}) for n in range(6)]
    requests.append((REMOVE, {"w": where, "tags": ["old"]}))
    for body in await post_gated(app, live_gateway, key, ids, requests):
        assert not body.get("errors"), body
        assert sorted(a["assetId"] for a in body["data"]["m"]["succeeded"]) == sorted(ids)
    async with seeder._session_factory() as session:
        rows = await session.execute(select(models.Asset.tags).where(models.Asset.project_id == project.id))
        assert {tuple(t) for (t,) in rows.all()} == {("keep", "shared", "t0", "t1", "t2", "t3", "t4", "t5")}


async def _statements(api, sql_counter, query: str, variables: dict, key: str) -> int:
    sql_counter.statements.clear()
    with sql_counter:
        await api.data(query, variables, key=key)
    return sql_counter.count


async def test_statement_counts_do_not_grow_with_the_number_of_assets(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 1000):
        _, _, key, project, _ = await _manager(seeder, size)
        where = {"project": {"id": project.id}}
        counts[size] = {
            "add": await _statements(api, sql_counter, ADD, {"w": where, "tags": ["a", "b"]}, key),
            "remove": await _statements(api, sql_counter, REMOVE, {"w": where, "tags": ["a"]}, key),
            "filter": await _statements(api, sql_counter, COUNT, {"w": {**where, "tagsIn": ["b"]}}, key),
        }
    # add/remove: authentication, lock, roles, archive check, UPDATE; countAssets: authentication, count.
    assert counts[1] == counts[1000] == {"add": 5, "remove": 5, "filter": 2}, counts
