"""Labels: Kili's shape, isLatestLabelForUser, ordering, visibility, paging limits."""

from __future__ import annotations

import json

from gateway.db import models
from schema.timefmt import iso

LABELS = """query($where: LabelWhere!, $first: PageSize!, $skip: Int!) {
  data: labels(where: $where, first: $first, skip: $skip) { id } }"""
COUNT = "query($where: LabelWhere!) { data: countLabels(where: $where) }"
CONNECTION = """query($where: LabelWhere!, $first: PageSize!, $after: String) {
  data: labelsConnection(where: $where, first: $first, after: $after) {
    nodes { id } pageInfo { endCursor hasNextPage } }
}"""
FULL_LABEL = """query($where: LabelWhere!) { data: labels(where: $where, first: 100, skip: 0) {
  id assetId projectId author { id email } jsonResponse jsonResponseUrl labelType secondsToLabel
  isLatestLabelForUser createdAt modelName consensusMark honeypotMark asset { id externalId }
} }"""


async def test_label_has_kili_fields(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    asset = await seeder.asset(project, external_id="img-1")
    response = {"CLASS": {"categories": [{"name": "CAR"}]}}
    label = await seeder.label(
        asset,
        admin,
        label_type="PREDICTION",
        json_response=response,
        seconds_to_label=4.5,
        model_name="yolo-v8",
        consensus_mark=0.5,
        honeypot_mark=0.25,
    )
    rows = (await api.data(FULL_LABEL, {"where": {"project": {"id": project.id}}}, key=key))["data"]
    assert rows == [
        {
            "id": label.id,
            "assetId": asset.id,
            "projectId": project.id,
            "author": {"id": admin.id, "email": admin.email},
            "jsonResponse": rows[0]["jsonResponse"],
            "jsonResponseUrl": None,
            "labelType": "PREDICTION",
            "secondsToLabel": 4.5,
            "isLatestLabelForUser": True,
            "createdAt": iso(label.created_at),
            "modelName": "yolo-v8",
            "consensusMark": 0.5,
            "honeypotMark": 0.25,
            "asset": {"id": asset.id, "externalId": "img-1"},
        }
    ]
    assert json.loads(rows[0]["jsonResponse"]) == response


async def test_is_latest_label_for_user_is_per_author_and_asset(api, seeder) -> None:
    org = await seeder.organization()
    alice, key = await seeder.user(org, admin=True)
    bob, _ = await seeder.user(org)
    project = await seeder.project(org)
    one, two = await seeder.assets(project, 2)
    made = [
        await seeder.label(one, alice),  # superseded by alice's second label on `one`
        await seeder.label(one, bob),
        await seeder.label(two, alice),
        await seeder.label(one, alice, label_type="REVIEW"),
        await seeder.label(two, bob, json_response={}),
    ]
    query = """query($where: LabelWhere!) { data: labels(where: $where, first: 100, skip: 0) {
        id jsonResponse isLatestLabelForUser } }"""
    rows = (await api.data(query, {"where": {"project": {"id": project.id}}}, key=key))["data"]
    assert [r["id"] for r in rows] == [label.id for label in made]  # created order
    assert [r["isLatestLabelForUser"] for r in rows] == [False, True, True, True, True]
    assert rows[4]["jsonResponse"] == "{}"


async def test_labels_order_ties_on_created_at_by_id(api, seeder) -> None:
    org = await seeder.organization()
    author, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    asset = await seeder.asset(project)
    moment = seeder.tick()
    rows = [
        models.Label(
            asset_id=asset.id, project_id=project.id, author_id=author.id, label_type="DEFAULT", created_at=moment
        )
        for _ in range(5)
    ]
    await seeder.add(*rows)
    ids = []
    for skip in range(0, 6, 2):
        page = await api.data(LABELS, {"where": {"asset": {"id": asset.id}}, "first": 2, "skip": skip}, key=key)
        ids += [r["id"] for r in page["data"]]
    assert ids == sorted(r.id for r in rows)


async def test_a_member_sees_only_the_labels_of_their_projects(api, seeder) -> None:
    org = await seeder.organization()
    member, key = await seeder.user(org)
    mine = await seeder.project(org, members={member.id: "REVIEWER"})
    hidden = await seeder.project(org)
    foreign_org = await seeder.organization()
    foreign_author, _ = await seeder.user(foreign_org)
    foreign = await seeder.project(foreign_org)
    my_asset = await seeder.asset(mine)
    hidden_asset = await seeder.asset(hidden)
    visible = [await seeder.label(my_asset, member), await seeder.label(my_asset, member, label_type="REVIEW")]
    await seeder.label(hidden_asset, member)
    await seeder.label(await seeder.asset(foreign), foreign_author)
    expected = [label.id for label in visible]

    async def listed(where: dict) -> list[str]:
        return [r["id"] for r in (await api.data(LABELS, {"where": where, "first": 100, "skip": 0}, key=key))["data"]]

    async def counted(where: dict) -> int:
        return (await api.data(COUNT, {"where": where}, key=key))["data"]

    assert await listed({}) == expected
    assert await counted({}) == 2
    assert [n["id"] for n in (await api.data(CONNECTION, {"where": {}, "first": 10}, key=key))["data"]["nodes"]] == (
        expected
    )
    for where in (
        {"project": {"id": hidden.id}},
        {"project": {"id": foreign.id}},
        {"asset": {"id": hidden_asset.id}},
        {"asset": {"project": {"id": hidden.id}, "label": {}, "issue": {}}, "project": {"id": hidden.id}},
        {"user": {"id": foreign_author.id}},
    ):
        assert await listed(where) == [], where
        assert await counted(where) == 0, where
        assert (await api.data(CONNECTION, {"where": where, "first": 10}, key=key))["data"]["nodes"] == []

    # Asset-side relations and filters do not reach hidden labels either.
    query = """query($where: AssetWhere!) { data: assets(where: $where, first: 10, skip: 0) {
        id labels { id } latestLabel { id } } }"""
    rows = (await api.data(query, {"where": {"label": {"typeIn": ["DEFAULT"]}}}, key=key))["data"]
    assert rows == [{"id": my_asset.id, "labels": [{"id": i} for i in expected], "latestLabel": {"id": expected[1]}}]


async def test_label_asset_is_null_when_the_asset_is_hidden(api, seeder) -> None:
    """Label.asset goes through a visibility-filtered loader, whatever the label row says."""
    org = await seeder.organization()
    member, key = await seeder.user(org)
    mine = await seeder.project(org, members={member.id: "LABELER"})
    hidden = await seeder.project(org)
    hidden_asset = await seeder.asset(hidden)
    # An inconsistent row (label filed under a visible project, asset in a hidden one).
    stray = models.Label(
        asset_id=hidden_asset.id,
        project_id=mine.id,
        author_id=member.id,
        label_type="DEFAULT",
        created_at=seeder.tick(),
    )
    await seeder.add(stray)
    query = """{ labels(where: {}, first: 10, skip: 0) { id assetId asset { id } } }"""
    assert (await api.data(query, key=key))["labels"] == [{"id": stray.id, "assetId": hidden_asset.id, "asset": None}]


async def test_label_page_size_is_checked(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    for query, variables in [
        (LABELS, {"where": {}, "first": 101, "skip": 0}),
        (CONNECTION, {"where": {}, "first": 101}),
        (LABELS, {"where": {}, "first": 1, "skip": -3}),
    ]:
        error = await api.error(query, variables, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error


async def test_the_kili_sdk_lists_and_counts_labels(kili_connect, seeder) -> None:
    org = await seeder.organization()
    alice, key = await seeder.user(org)
    bob, _ = await seeder.user(org)
    project = await seeder.project(
        org, members={alice.id: "REVIEWER"}, json_interface={"jobs": {"CLASS": {"mlTask": "CLASSIFICATION"}}}
    )
    asset = await seeder.asset(project)
    car = {"CLASS": {"categories": [{"name": "CAR"}]}}
    made = [
        await seeder.label(asset, alice, json_response=car, seconds_to_label=3),
        await seeder.label(asset, bob),
        await seeder.label(asset, alice, label_type="REVIEW", json_response=car),
    ]
    kili = kili_connect(key)
    assert kili.count_labels(project_id=project.id) == 3
    rows = kili.labels(project_id=project.id)
    assert [r["id"] for r in rows] == [label.id for label in made]
    assert rows[0] == {
        "author": {"email": alice.email, "id": alice.id},
        "id": made[0].id,
        "jsonResponse": car,
        "labelType": "DEFAULT",
        "secondsToLabel": 3.0,
        "isLatestLabelForUser": False,
        "assetId": asset.id,
        "jsonResponseUrl": None,
    }
    assert [r["isLatestLabelForUser"] for r in rows] == [False, True, True]
    assert kili.count_labels(project_id=project.id, type_in=["REVIEW"]) == 1
    assert [r["id"] for r in kili.labels(project_id=project.id, category_search="CLASS.CAR.count == 1")] == [
        made[0].id,
        made[2].id,
    ]
