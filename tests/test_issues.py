"""Issues (Kili's issues and questions): create, list, count, update; every IssueWhere field and the
AssetWhere.issue filter (lists, keyset pages and counts agree); visibility, roles, archived
projects, bad input; statements per call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.db import models
from tests.paging import paged_ids
from tests.test_workflow import Team

FIELDS = """id projectId assetId labelId objectMid authorId type status text createdAt updatedAt
  author { id email } asset { id } label { id } project { id }
  comments { id issueId text authorIdUser createdAt author { email } }"""
CREATE = f"""mutation($issues: [IssueToCreate!]!, $where: AssetWhere!) {{
  data: createIssues(issues: $issues, where: $where) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($data: IssueData!, $where: IssueWhere!) {{
  data: updatePropertiesInIssue(data: $data, where: $where) {{ {FIELDS} }} }}"""
ISSUES = f"""query($where: IssueWhere!, $first: PageSize!, $skip: Int!) {{
  data: issues(where: $where, first: $first, skip: $skip) {{ {FIELDS} }} }}"""
ISSUE_IDS = """query($where: IssueWhere!, $first: PageSize!, $skip: Int!) {
  data: issues(where: $where, first: $first, skip: $skip) { id } }"""
COUNT = "query($where: IssueWhere!) { data: countIssues(where: $where) }"
CONNECTION = """query($where: IssueWhere!, $after: String) {
  data: issuesConnection(where: $where, first: 2, after: $after) {
    nodes { id } pageInfo { endCursor hasNextPage } } }"""
ASSET_IDS = """query($where: AssetWhere!, $first: PageSize!, $skip: Int!) {
  data: assets(where: $where, first: $first, skip: $skip) { id } }"""
COUNT_ASSETS = "query($where: AssetWhere!) { data: countAssets(where: $where) }"
ASSETS_CONNECTION = """query($where: AssetWhere!, $after: String) {
  data: assetsConnection(where: $where, first: 2, after: $after) {
    nodes { id } pageInfo { endCursor hasNextPage } } }"""


async def _count(api, key: str, where: dict) -> int:
    return (await api.data(COUNT, {"where": where}, key=key))["data"]


async def _list(api, key: str, where: dict) -> list[dict]:
    return (await api.data(ISSUES, {"where": where, "first": 100, "skip": 0}, key=key))["data"]


# --- create, list, count, update --------------------------------------------------------------


async def test_create_list_count_and_update(api, seeder) -> None:
    team = await Team().build(seeder)
    a0, a1, a2 = await seeder.assets(team.project, 3)
    l0 = await seeder.label(a0, team.user["LABELER"])
    l1 = await seeder.label(a1, team.user["LABELER"])
    where = {"project": {"id": team.project.id}}
    reviewer = team.user["REVIEWER"]

    created = (
        await api.data(
            CREATE,
            {
                "issues": [
                    {"labelID": l0.id, "objectMid": "obj-7", "text": "the box is too wide", "type": "ISSUE"},
                    {"assetId": a1.id, "text": "blurry"},
                    {"labelID": l1.id, "assetId": a1.id, "type": "ISSUE"},
                ],
                "where": where,
            },
            key=team.key["REVIEWER"],
        )
    )["data"]
    assert [(i["assetId"], i["labelId"], i["objectMid"], i["text"], i["type"], i["status"]) for i in created] == [
        (a0.id, l0.id, "obj-7", "the box is too wide", "ISSUE", "OPEN"),
        (a1.id, None, None, "blurry", "ISSUE", "OPEN"),
        (a1.id, l1.id, None, None, "ISSUE", "OPEN"),
    ]
    assert all(i["authorId"] == reviewer.id and i["author"]["email"] == reviewer.email for i in created)
    assert all(i["projectId"] == team.project.id and i["project"]["id"] == team.project.id for i in created)
    assert [i["asset"]["id"] for i in created] == [a0.id, a1.id, a1.id]
    assert [i["label"] and i["label"]["id"] for i in created] == [l0.id, None, l1.id]
    assert created[0]["comments"] == [
        {
            "id": created[0]["id"],
            "issueId": created[0]["id"],
            "text": "the box is too wide",
            "authorIdUser": reviewer.id,
            "createdAt": created[0]["createdAt"],
            "author": {"email": reviewer.email},
        }
    ]
    assert created[2]["comments"] == []

    # A labeler asks a question on an asset.
    question = (
        await api.data(
            CREATE,
            {"issues": [{"assetId": a2.id, "type": "QUESTION", "text": "Is this a bus?"}], "where": where},
            key=team.key["LABELER"],
        )
    )["data"][0]
    assert (question["type"], question["authorId"], question["assetId"]) == ("QUESTION", team.user["LABELER"].id, a2.id)

    listed = await _list(api, team.key["LABELER"], where)
    assert listed == [*created, question]  # oldest first: the input order, then the question
    assert await _count(api, team.key["LABELER"], where) == 4

    solved = (
        await api.data(
            UPDATE, {"data": {"status": "SOLVED"}, "where": {"id": created[0]["id"]}}, key=team.key["REVIEWER"]
        )
    )["data"]
    assert solved["status"] == "SOLVED" and solved["id"] == created[0]["id"]
    assert solved["updatedAt"] > created[0]["updatedAt"] and solved["createdAt"] == created[0]["createdAt"]
    assert [i["id"] for i in await _list(api, team.key["ADMIN"], {**where, "status": "SOLVED"})] == [created[0]["id"]]
    assert await _count(api, team.key["ADMIN"], {**where, "status": "OPEN"}) == 3
    # Any status may follow any other.
    for status in ("CANCELLED", "OPEN", "SOLVED", "CANCELLED"):
        changed = await api.data(
            UPDATE, {"data": {"status": status}, "where": {"id": question["id"]}}, key=team.key["TEAM_MANAGER"]
        )
        assert changed["data"]["status"] == status
    assert (await _list(api, team.key["ADMIN"], {"id": question["id"]}))[0]["status"] == "CANCELLED"

    # The asset filter sees the new state.
    solved_assets = await api.data(
        ASSET_IDS, {"where": {**where, "issue": {"status": "SOLVED"}}, "first": 100, "skip": 0}, key=team.key["ADMIN"]
    )
    assert [a["id"] for a in solved_assets["data"]] == [a0.id]


async def test_asset_issues_oldest_first(api, seeder) -> None:
    team = await Team().build(seeder)
    a0, a1 = await seeder.assets(team.project, 2)
    where = {"project": {"id": team.project.id}}
    created = (
        await api.data(
            CREATE,
            {"issues": [{"assetId": a0.id, "text": t} for t in ("first", "second", "third")], "where": where},
            key=team.key["REVIEWER"],
        )
    )["data"]
    query = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
      id issues { id text type status author { email } } } }"""
    rows = (await api.data(query, {"where": where}, key=team.key["LABELER"]))["assets"]
    assert [r["id"] for r in rows] == [a0.id, a1.id]
    assert [i["id"] for i in rows[0]["issues"]] == [c["id"] for c in created]
    assert [i["text"] for i in rows[0]["issues"]] == ["first", "second", "third"]
    assert {i["author"]["email"] for i in rows[0]["issues"]} == {team.user["REVIEWER"].email}
    assert rows[1]["issues"] == []


# --- filters ------------------------------------------------------------------------------------


@dataclass
class World:
    key: str
    road: models.Project
    medical: models.Project
    assets: dict[str, models.Asset]
    issues: dict[str, models.Issue]

    def a(self, *names: str) -> list[str]:
        return [self.assets[n].id for n in names]

    def i(self, *names: str) -> list[str]:
        return [self.issues[n].id for n in names]


def _issue(seeder, asset: models.Asset, author: models.User, issue_type: str, status: str, **fields) -> models.Issue:
    now = seeder.tick()
    return models.Issue(
        project_id=asset.project_id,
        asset_id=asset.id,
        author_id=author.id,
        issue_type=issue_type,
        status=status,
        created_at=now,
        updated_at=now,
        **fields,
    )


@pytest.fixture(scope="module")
async def world(seeder) -> World:
    """Assets a0..a3 in `road`, m0 in `medical`. Issues, in created order:
    i0 on a0 ISSUE OPEN (on a label), i1 on a0 QUESTION SOLVED, i2 on a1 ISSUE CANCELLED,
    m0i on m0 ISSUE OPEN, i3 on a2 QUESTION OPEN. a3 has none."""
    org = await seeder.organization()
    admin, key = await seeder.user(org, admin=True)
    road = await seeder.project(org)
    medical = await seeder.project(org)
    assets = {}
    for name in ("a0", "a1", "a2", "a3"):
        assets[name] = await seeder.asset(road, external_id=f"road-{name}")
    assets["m0"] = await seeder.asset(medical, external_id="medical-m0")
    label = await seeder.label(assets["a0"], admin)
    issues = {
        "i0": _issue(seeder, assets["a0"], admin, "ISSUE", "OPEN", label_id=label.id, object_mid="m1"),
        "i1": _issue(seeder, assets["a0"], admin, "QUESTION", "SOLVED"),
        "i2": _issue(seeder, assets["a1"], admin, "ISSUE", "CANCELLED"),
        "m0i": _issue(seeder, assets["m0"], admin, "ISSUE", "OPEN"),
        "i3": _issue(seeder, assets["a2"], admin, "QUESTION", "OPEN"),
    }
    await seeder.add(*issues.values())
    return World(key, road, medical, assets, issues)


Case = tuple[str, Callable[[World], dict[str, Any]], Callable[[World], list[str]]]

ALL_ISSUES = ("i0", "i1", "i2", "m0i", "i3")
ROAD_ISSUES = ("i0", "i1", "i2", "i3")

ISSUE_CASES: list[Case] = [
    ("empty", lambda w: {}, lambda w: w.i(*ALL_ISSUES)),
    (
        "kili sdk shape",
        lambda w: {"project": {"id": w.road.id}, "asset": {"id": None}, "assetIn": None, "status": None, "type": None},
        lambda w: w.i(*ROAD_ISSUES),
    ),
    ("id", lambda w: {"id": w.issues["i2"].id}, lambda w: w.i("i2")),
    ("project", lambda w: {"project": {"id": w.medical.id}}, lambda w: w.i("m0i")),
    ("asset id", lambda w: {"asset": {"id": w.assets["a0"].id}}, lambda w: w.i("i0", "i1")),
    ("asset externalIdIn", lambda w: {"asset": {"externalIdIn": ["a1", "m0"]}}, lambda w: w.i("i2", "m0i")),
    ("asset having a question", lambda w: {"asset": {"issue": {"type": "QUESTION"}}}, lambda w: w.i("i0", "i1", "i3")),
    ("assetIn", lambda w: {"assetIn": w.a("a2", "a0")}, lambda w: w.i("i0", "i1", "i3")),
    ("assetIn empty", lambda w: {"assetIn": []}, lambda w: []),
    ("assetIn without issues", lambda w: {"assetIn": w.a("a3")}, lambda w: []),
    ("status OPEN", lambda w: {"status": "OPEN"}, lambda w: w.i("i0", "m0i", "i3")),
    ("status SOLVED", lambda w: {"status": "SOLVED"}, lambda w: w.i("i1")),
    ("status CANCELLED", lambda w: {"status": "CANCELLED"}, lambda w: w.i("i2")),
    ("type QUESTION", lambda w: {"type": "QUESTION"}, lambda w: w.i("i1", "i3")),
    ("type ISSUE", lambda w: {"type": "ISSUE"}, lambda w: w.i("i0", "i2", "m0i")),
    (
        "project, status and type",
        lambda w: {"project": {"id": w.road.id}, "status": "OPEN", "type": "ISSUE"},
        lambda w: w.i("i0"),
    ),
    ("project and assetIn elsewhere", lambda w: {"project": {"id": w.road.id}, "assetIn": w.a("m0")}, lambda w: []),
]


@pytest.mark.parametrize("case", ISSUE_CASES, ids=[c[0] for c in ISSUE_CASES])
async def test_issue_filters(api, world, case: Case) -> None:
    _, where_of, expected_of = case
    where, expected = where_of(world), expected_of(world)
    ids, keyset = await paged_ids(api, world.key, ISSUE_IDS, CONNECTION, where)
    assert ids == expected
    assert keyset == expected
    assert await _count(api, world.key, where) == len(expected)


ASSET_CASES: list[Case] = [
    ("issue empty", lambda w: {"issue": {}}, lambda w: w.a("a0", "a1", "a2", "a3", "m0")),
    (
        "kili sdk shape",
        lambda w: {"project": {"id": w.road.id}, "label": {}, "issue": {"type": None, "status": None}},
        lambda w: w.a("a0", "a1", "a2", "a3"),
    ),
    ("issue type ISSUE", lambda w: {"issue": {"type": "ISSUE"}}, lambda w: w.a("a0", "a1", "m0")),
    ("issue type QUESTION", lambda w: {"issue": {"type": "QUESTION"}}, lambda w: w.a("a0", "a2")),
    ("issue status OPEN", lambda w: {"issue": {"status": "OPEN"}}, lambda w: w.a("a0", "a2", "m0")),
    ("issue status CANCELLED", lambda w: {"issue": {"status": "CANCELLED"}}, lambda w: w.a("a1")),
    ("issue QUESTION and SOLVED", lambda w: {"issue": {"type": "QUESTION", "status": "SOLVED"}}, lambda w: w.a("a0")),
    ("issue ISSUE and SOLVED", lambda w: {"issue": {"type": "ISSUE", "status": "SOLVED"}}, lambda w: []),
    (
        "issue status and project",
        lambda w: {"project": {"id": w.road.id}, "issue": {"status": "OPEN"}},
        lambda w: w.a("a0", "a2"),
    ),
    ("issue id", lambda w: {"issue": {"id": w.issues["i2"].id}}, lambda w: w.a("a1")),
    ("issue assetIn", lambda w: {"issue": {"assetIn": w.a("a3", "a1")}}, lambda w: w.a("a1")),
]


@pytest.mark.parametrize("case", ASSET_CASES, ids=[c[0] for c in ASSET_CASES])
async def test_asset_where_issue(api, world, case: Case) -> None:
    _, where_of, expected_of = case
    where, expected = where_of(world), expected_of(world)
    ids, keyset = await paged_ids(api, world.key, ASSET_IDS, ASSETS_CONNECTION, where)
    assert ids == expected  # an asset with several matching issues is listed once
    assert keyset == expected
    assert (await api.data(COUNT_ASSETS, {"where": where}, key=world.key))["data"] == len(expected)


# --- visibility, roles, archive -------------------------------------------------------------


async def test_issues_are_visible_to_project_members_only(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    other_asset = await seeder.asset(team.other_project)
    where = {"project": {"id": team.project.id}}
    issue = (await api.data(CREATE, {"issues": [{"assetId": asset.id}], "where": where}, key=team.key["REVIEWER"]))[
        "data"
    ][0]
    outsider_issue = (
        await api.data(
            CREATE,
            {"issues": [{"assetId": other_asset.id}], "where": {"project": {"id": team.other_project.id}}},
            key=team.key["OUTSIDER"],
        )
    )["data"][0]
    stranger_org = await seeder.organization()
    _, stranger = await seeder.user(stranger_org, admin=True)

    for role in ("LABELER", "REVIEWER", "TEAM_MANAGER", "ADMIN"):
        assert [i["id"] for i in await _list(api, team.key[role], {})] == [issue["id"]]
        assert await _count(api, team.key[role], {}) == 1
    assert [i["id"] for i in await _list(api, team.key["OUTSIDER"], {})] == [outsider_issue["id"]]
    for key in (stranger, team.key["OUTSIDER"]):
        assert await _list(api, key, {"id": issue["id"]}) == []
        assert await _count(api, key, {"project": {"id": team.project.id}}) == 0
        error = await api.error(UPDATE, {"data": {"status": "SOLVED"}, "where": {"id": issue["id"]}}, key=key)
        assert error["extensions"]["code"] == "NOT_FOUND"
        error = await api.error(CREATE, {"issues": [{"assetId": asset.id}], "where": where}, key=key)
        assert error["extensions"]["code"] == "NOT_FOUND" and "issues[0]" in error["message"]
    assert await _list(api, stranger, {}) == []
    assert (await _list(api, team.key["ADMIN"], {"id": issue["id"]}))[0]["status"] == "OPEN"
    assert await _count(api, team.key["ADMIN"], where) == 1


async def test_labelers_ask_questions_but_neither_raise_nor_settle_issues(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    label = await seeder.label(asset, team.user["LABELER"])
    where = {"project": {"id": team.project.id}}

    error = await api.error(CREATE, {"issues": [{"labelID": label.id}], "where": where}, key=team.key["LABELER"])
    assert error["extensions"]["code"] == "FORBIDDEN" and "issues[0]" in error["message"]
    batch = [{"assetId": asset.id, "type": "QUESTION"}, {"assetId": asset.id, "type": "ISSUE"}]
    error = await api.error(CREATE, {"issues": batch, "where": where}, key=team.key["LABELER"])
    assert error["extensions"]["code"] == "FORBIDDEN" and "issues[1]" in error["message"]
    assert await _count(api, team.key["ADMIN"], where) == 0  # nothing written, not even the question

    issue = (await api.data(CREATE, {"issues": [{"labelID": label.id}], "where": where}, key=team.key["REVIEWER"]))[
        "data"
    ][0]
    for status in ("SOLVED", "CANCELLED", "OPEN"):
        error = await api.error(
            UPDATE, {"data": {"status": status}, "where": {"id": issue["id"]}}, key=team.key["LABELER"]
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
    question = (await api.data(CREATE, {"issues": batch[:1], "where": where}, key=team.key["LABELER"]))["data"][0]
    error = await api.error(
        UPDATE, {"data": {"status": "SOLVED"}, "where": {"id": question["id"]}}, key=team.key["LABELER"]
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert [(i["id"], i["status"]) for i in await _list(api, team.key["LABELER"], where)] == [
        (issue["id"], "OPEN"),
        (question["id"], "OPEN"),
    ]


async def test_issues_of_an_archived_project_are_locked(api, seeder) -> None:
    team = await Team().build(seeder)
    archived = await seeder.project(team.org, archived=True, members={team.user["REVIEWER"].id: "REVIEWER"})
    asset = await seeder.asset(archived)
    issue = _issue(seeder, asset, team.user["REVIEWER"], "ISSUE", "OPEN")
    await seeder.add(issue)
    where = {"project": {"id": archived.id}}
    key = team.key["REVIEWER"]

    error = await api.error(CREATE, {"issues": [{"assetId": asset.id}], "where": where}, key=key)
    assert error["extensions"]["code"] == "LOCKED" and archived.id in error["message"]
    error = await api.error(UPDATE, {"data": {"status": "SOLVED"}, "where": {"id": issue.id}}, key=key)
    assert error["extensions"]["code"] == "LOCKED"
    assert [(i["id"], i["status"]) for i in await _list(api, key, where)] == [(issue.id, "OPEN")]


# --- bad input ----------------------------------------------------------------------------------


async def test_bad_input_is_coded_and_writes_nothing(api, seeder) -> None:
    team = await Team().build(seeder)
    asset, other = await seeder.assets(team.project, 2)
    label = await seeder.label(asset, team.user["LABELER"])
    # A second project the reviewer also works in, with a label.
    second = await seeder.project(team.org, members={team.user["REVIEWER"].id: "REVIEWER"})
    second_label = await seeder.label(await seeder.asset(second), team.user["REVIEWER"])
    where = {"project": {"id": team.project.id}}
    key = team.key["REVIEWER"]
    good = {"labelID": label.id, "text": "ok"}

    cases = [
        ([good, {"labelID": "no-such-label"}], "NOT_FOUND", "issues[1]"),
        ([{"assetId": "no-such-asset"}], "NOT_FOUND", "issues[0]"),
        ([good, {"labelID": second_label.id}], "BAD_USER_INPUT", "issues[1]"),  # outside where
        ([good, {"text": "on nothing"}], "BAD_USER_INPUT", "issues[1]"),
        ([{"labelID": label.id, "assetId": other.id}], "BAD_USER_INPUT", "issues[0]"),  # not that asset's label
        ([{"assetId": asset.id, "type": "BUG"}], "BAD_USER_INPUT", None),
        ([{"assetId": asset.id}] * 1001, "BAD_USER_INPUT", "at most 1000"),
    ]
    for issues, code, named in cases:
        error = await api.error(CREATE, {"issues": issues, "where": where}, key=key)
        assert error["extensions"]["code"] == code, (issues[:2], error)
        assert named is None or named in error["message"], error["message"]
    assert await _count(api, team.key["ADMIN"], {}) == 0
    assert await _count(api, key, {}) == 0  # nor in the second project

    issue = (await api.data(CREATE, {"issues": [good], "where": where}, key=key))["data"][0]
    updates = [
        ({"status": "DONE"}, {"id": issue["id"]}, "BAD_USER_INPUT"),
        ({"status": "SOLVED"}, {"project": {"id": team.project.id}}, "BAD_USER_INPUT"),  # no id: which one?
        ({"status": "SOLVED"}, {"id": "no-such-issue"}, "NOT_FOUND"),
        ({"status": "SOLVED"}, {"id": issue["id"], "status": "CANCELLED"}, "NOT_FOUND"),  # where excludes it
        ({"status": "SOLVED"}, {"id": issue["id"], "project": {"id": second.id}}, "NOT_FOUND"),
    ]
    for data, where_issue, code in updates:
        error = await api.error(UPDATE, {"data": data, "where": where_issue}, key=key)
        assert error["extensions"]["code"] == code, (data, where_issue, error)
    assert [(i["id"], i["status"]) for i in await _list(api, key, {})] == [(issue["id"], "OPEN")]

    error = await api.error(
        COUNT.replace("countIssues", "issues").replace(
            "(where: $where)", "(where: $where, first: 101, skip: 0) { id }"
        ),
        {"where": {}},
        key=key,
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


# --- statements per call ----------------------------------------------------------------------

CREATE_IDS = """mutation($issues: [IssueToCreate!]!, $where: AssetWhere!) {
  createIssues(issues: $issues, where: $where) { id } }"""
# 1 authentication, 1 labels, 1 assets (FOR KEY SHARE), 1 roles, 1 archive check, 1 INSERT.
EXPECTED_CREATE_STATEMENTS = 6
# 1 authentication, 1 find, 1 roles, 1 archive check, 1 UPDATE.
EXPECTED_UPDATE_STATEMENTS = 5


async def test_statement_count_does_not_grow_with_the_issues(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 100):
        team = await Team().build(seeder)
        assets = await seeder.assets(team.project, size)
        labels = [await seeder.label(a, team.user["LABELER"]) for a in assets]
        issues = [{"labelID": label.id, "text": f"issue {i}"} for i, label in enumerate(labels)]
        variables = {"issues": issues, "where": {"project": {"id": team.project.id}}}
        sql_counter.statements.clear()
        with sql_counter:
            created = (await api.data(CREATE_IDS, variables, key=team.key["REVIEWER"]))["createIssues"]
        assert len(created) == size
        counts[size] = sql_counter.count
    print(f"\nSQL statements for createIssues of 1 and 100 issues: {counts}")
    assert counts[1] == counts[100] == EXPECTED_CREATE_STATEMENTS, (counts, sql_counter.statements)

    sql_counter.statements.clear()
    with sql_counter:
        updated = await api.data(
            "mutation($id: ID!) { data: updatePropertiesInIssue(data: {status: SOLVED}, where: {id: $id}) { status } }",
            {"id": created[0]["id"]},
            key=team.key["ADMIN"],
        )
    assert updated["data"]["status"] == "SOLVED"
    assert sql_counter.count == EXPECTED_UPDATE_STATEMENTS, sql_counter.statements
