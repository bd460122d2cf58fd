"""Sets: filters (list/count/connection agreement), relations, paging of members, visibility."""

from __future__ import annotations

import json

from gateway.db import models
from schema.timefmt import iso
from tests.paging import paged_ids

SETS = """query($where: SetWhere!, $first: PageSize!, $skip: Int!) {
  data: sets(where: $where, first: $first, skip: $skip) { id }
}"""
COUNT = "query($where: SetWhere!) { data: countSets(where: $where) }"
CONNECTION = """query($where: SetWhere!, $after: String) {
  data: setsConnection(where: $where, first: 2, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } }
}"""
ONE = "query($id: ID!) { set(id: $id) { id name } }"
MEMBERS = """query($id: ID!, $first: PageSize!, $skip: Int!) {
  set(id: $id) { assets(first: $first, skip: $skip) { id } }
}"""


async def listed(api, key: str, where: dict) -> list[str]:
    """Every id `sets` lists for `where`, read page by page (2 a page), checked against the connection."""
    ids, via_cursor = await paged_ids(api, key, SETS, CONNECTION, where)
    assert via_cursor == ids, where
    return ids


async def counted(api, key: str, where: dict) -> int:
    return (await api.data(COUNT, {"where": where}, key=key))["data"]


async def test_set_filters_list_and_count_the_same_sets_in_creation_order(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    other_project = await seeder.project(org)
    assets = await seeder.assets(project, 3)
    road = await seeder.asset_set(project, [assets[0]], name="Road 50%", tags=["road", "day"])
    rain = await seeder.asset_set(project, [assets[0], assets[1]], name="rainy ROADS", tags=["road", "rain"])
    night = await seeder.asset_set(project, [], name="night", tags=["night"], is_locked=True, origin_set_id=road.id)
    derived = await seeder.asset_set(project, [assets[2]], name="road_50x", is_locked=True, origin_set_id=road.id)
    elsewhere = await seeder.asset_set(other_project, [], name="Road elsewhere", tags=["road"])
    everything = [road, rain, night, derived, elsewhere]

    cases = [
        ({}, everything),
        ({"id": rain.id}, [rain]),
        ({"idIn": [derived.id, road.id]}, [road, derived]),
        ({"idIn": []}, []),
        ({"project": {"id": project.id}}, [road, rain, night, derived]),
        ({"project": {"idIn": [other_project.id]}}, [elsewhere]),
        ({"project": {}}, everything),
        ({"nameIn": ["night", "Road 50%"]}, [road, night]),
        ({"nameIn": ["NIGHT"]}, []),
        ({"nameContains": "road"}, [road, rain, derived, elsewhere]),
        # `%` and `_` are plain characters, not LIKE wildcards.
        ({"nameContains": "50%"}, [road]),
        ({"nameContains": "_"}, [derived]),
        ({"tagsIn": ["rain", "night"]}, [rain, night]),
        ({"tagsIn": []}, []),
        ({"isLocked": True}, [night, derived]),
        ({"isLocked": False, "tagsIn": ["road"]}, [road, rain, elsewhere]),
        ({"originSetId": road.id}, [night, derived]),
        ({"hasAsset": assets[0].id}, [road, rain]),
        ({"hasAsset": assets[2].id, "isLocked": False}, []),
        ({"createdAtGte": iso(rain.created_at)}, [rain, night, derived, elsewhere]),
        ({"createdAtLte": iso(night.created_at)}, [road, rain, night]),
        ({"createdAtGte": iso(rain.created_at), "createdAtLte": iso(rain.created_at)}, [rain]),
        ({"updatedAtGte": iso(derived.updated_at)}, [derived, elsewhere]),
        ({"updatedAtLte": iso(road.updated_at)}, [road]),
        ({"createdAtLte": road.created_at.date().isoformat()}, everything),
        ({"project": {"id": project.id}, "nameContains": "ROAD", "tagsIn": ["road"]}, [road, rain]),
    ]
    for where, expected in cases:
        assert await listed(api, key, where) == [s.id for s in expected], where
        assert await counted(api, key, where) == len(expected), where


async def test_set_fields_and_relations(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    origin = await seeder.asset_set(project, await seeder.assets(project, 2), name="origin")
    made = await seeder.asset_set(
        project,
        await seeder.assets(project, 3),
        name="made",
        description="front camera, daytime",
        tags=["day", "front"],
        aux_metadata={"curator": "ada", "score": 0.5},
        is_locked=True,
        origin_set_id=origin.id,
    )
    query = """query($id: ID!) { set(id: $id) {
        id projectId name description tags jsonAuxMetadata isLocked originSetId createdAt updatedAt numberOfAssets
        project { id title } originSet { id name numberOfAssets originSet { id } } } }"""
    got = (await api.data(query, {"id": made.id}, key=key))["set"]
    assert json.loads(got.pop("jsonAuxMetadata")) == {"curator": "ada", "score": 0.5}
    assert got == {
        "id": made.id,
        "projectId": project.id,
        "name": "made",
        "description": "front camera, daytime",
        "tags": ["day", "front"],
        "isLocked": True,
        "originSetId": origin.id,
        "createdAt": iso(made.created_at),
        "updatedAt": iso(made.updated_at),
        "numberOfAssets": 3,
        "project": {"id": project.id, "title": project.title},
        "originSet": {"id": origin.id, "name": "origin", "numberOfAssets": 2, "originSet": None},
    }
    assert got["createdAt"].endswith("Z") and len(got["createdAt"]) == len("2026-01-01T00:00:00.000Z")


async def test_set_assets_come_in_the_order_they_were_added_and_page(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    assets = await seeder.assets(project, 5)
    added = [assets[3], assets[1], assets[4], assets[0], assets[2]]
    the_set = await seeder.asset_set(project, added)
    expected = [a.id for a in added]

    got = (await api.data(MEMBERS, {"id": the_set.id, "first": 100, "skip": 0}, key=key))["set"]["assets"]
    assert [a["id"] for a in got] == expected
    default = await api.data("query($id: ID!) { set(id: $id) { assets { id } } }", {"id": the_set.id}, key=key)
    assert [a["id"] for a in default["set"]["assets"]] == expected
    pages = []
    for skip in range(0, 6, 2):
        page = await api.data(MEMBERS, {"id": the_set.id, "first": 2, "skip": skip}, key=key)
        pages.append([a["id"] for a in page["set"]["assets"]])
    assert pages == [expected[0:2], expected[2:4], expected[4:]]
    past_the_end = await api.data(MEMBERS, {"id": the_set.id, "first": 2, "skip": 5}, key=key)
    assert past_the_end["set"]["assets"] == []

    # Aliases asking the same set for different pages each get their own page.
    aliased = """query($id: ID!) { set(id: $id) {
        a: assets(first: 2) { id } b: assets(first: 2, skip: 3) { id } c: assets(first: 0) { id } } }"""
    got = (await api.data(aliased, {"id": the_set.id}, key=key))["set"]
    assert got == {
        "a": [{"id": i} for i in expected[0:2]],
        "b": [{"id": i} for i in expected[3:5]],
        "c": [],
    }

    error = await api.error(MEMBERS, {"id": the_set.id, "first": 2, "skip": -1}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error(MEMBERS, {"id": the_set.id, "first": 101, "skip": 0}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_set_members_added_at_the_same_time_come_by_id(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    assets = await seeder.assets(project, 4)
    the_set = await seeder.asset_set(project)
    same_time = seeder.tick()
    await seeder.add(*[models.SetAsset(set_id=the_set.id, asset_id=a.id, added_at=same_time) for a in assets])
    got = (await api.data(MEMBERS, {"id": the_set.id, "first": 100, "skip": 0}, key=key))["set"]["assets"]
    assert [a["id"] for a in got] == sorted(a.id for a in assets)


async def test_members_see_no_set_of_a_project_they_are_not_in(api, seeder) -> None:
    org = await seeder.organization()
    member, key = await seeder.user(org)
    _, admin_key = await seeder.user(org, admin=True)
    mine = await seeder.project(org, members={member.id: "LABELER"})
    hidden = await seeder.project(org)
    hidden_assets = await seeder.assets(hidden, 2)
    hidden_set = await seeder.asset_set(hidden, hidden_assets, name="hidden road")
    my_assets = await seeder.assets(mine, 2)
    # A set of mine derived from a hidden set, and (oddly) holding a hidden project's asset too.
    my_set = await seeder.asset_set(mine, [my_assets[0], hidden_assets[0], my_assets[1]], origin_set_id=hidden_set.id)
    foreign_org = await seeder.organization()
    _, foreign_admin_key = await seeder.user(foreign_org, admin=True)

    assert await listed(api, key, {}) == [my_set.id]
    assert await counted(api, key, {}) == 1
    for where in [
        {"id": hidden_set.id},
        {"idIn": [hidden_set.id]},
        {"project": {"id": hidden.id}},
        {"nameContains": "hidden"},
        {"hasAsset": hidden_assets[1].id},
    ]:
        assert await listed(api, key, where) == [], where
        assert await counted(api, key, where) == 0, where
    hidden_members = """query($id: ID!) { data: sets(where: {id: $id}, first: 10, skip: 0) { assets { id } } }"""
    assert (await api.data(hidden_members, {"id": hidden_set.id}, key=key))["data"] == []

    error = await api.error(ONE, {"id": hidden_set.id}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await api.error(MEMBERS, {"id": hidden_set.id, "first": 10, "skip": 0}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"

    mine_seen = """query($id: ID!) { set(id: $id) { originSetId originSet { id } numberOfAssets assets { id } } }"""
    got = (await api.data(mine_seen, {"id": my_set.id}, key=key))["set"]
    assert got == {
        "originSetId": hidden_set.id,
        "originSet": None,
        "numberOfAssets": 2,
        "assets": [{"id": my_assets[0].id}, {"id": my_assets[1].id}],
    }

    # The organization admin sees both; another organization sees neither.
    assert await listed(api, admin_key, {}) == [hidden_set.id, my_set.id]
    got = (await api.data(mine_seen, {"id": my_set.id}, key=admin_key))["set"]
    assert got["originSet"] == {"id": hidden_set.id} and got["numberOfAssets"] == 3
    assert await listed(api, foreign_admin_key, {}) == []
    assert await counted(api, foreign_admin_key, {}) == 0
    error = await api.error(ONE, {"id": my_set.id}, key=foreign_admin_key)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_unknown_set_is_not_found_and_bad_dates_are_refused(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    error = await api.error(ONE, {"id": "no-such-set"}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-set" in error["message"]
    error = await api.error(COUNT, {"where": {"createdAtGte": "yesterday"}}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error(CONNECTION, {"where": {}, "after": "not-a-cursor"}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_set_members_cost_the_same_statements_for_one_set_or_many(api, seeder, sql_counter) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    origin = await seeder.asset_set(project)
    sets = [await seeder.asset_set(project, await seeder.assets(project, 3), origin_set_id=origin.id) for _ in range(6)]
    query = """query($ids: [ID!]!) { data: sets(where: {idIn: $ids}, first: 100, skip: 0) {
        id first: assets(first: 2) { id externalId } rest: assets(first: 2, skip: 2) { id }
        numberOfAssets project { id } originSet { id } } }"""

    async def statements(ids: list[str]) -> int:
        with sql_counter:
            before = sql_counter.count
            data = (await api.data(query, {"ids": ids}, key=key))["data"]
            used = sql_counter.count - before
        assert [s["id"] for s in data] == ids
        for row in data:
            assert len(row["first"]) == 2 and len(row["rest"]) == 1 and row["numberOfAssets"] == 3
            assert row["originSet"] == {"id": origin.id}
        return used

    one = await statements([sets[0].id])
    many = await statements([s.id for s in sets])
    assert one == many
    # authentication, the sets, then one statement each: members (both aliases), counts, projects, origins
    assert one == 6
