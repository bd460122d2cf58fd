"""appendManyLabels and appendToLabels: validation, roles, authors, status effects, overwrite, latest labels."""

from __future__ import annotations

import json

import pytest

from tests.factories import new_id
from tests.test_workflow import STATUSES, Team

APPEND = """mutation($data: AppendManyLabelsData!, $where: AssetWhere!) {
  data: appendManyLabels(data: $data, where: $where) {
    id assetId authorId labelType jsonResponse modelName secondsToLabel createdAt isLatestLabelForUser
    author { id } } }"""
APPEND_TO = """mutation($data: AppendToLabelsData!, $where: AssetWhere!) {
  data: appendToLabels(data: $data, where: $where) { id assetId authorId labelType jsonResponse secondsToLabel } }"""
ASSETS = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
  id status skipped latestLabel { id authorId } labels { id authorId labelType modelName isLatestLabelForUser } } }"""

# Status after a label of this type, from each status (the module docstring of resolvers/label_writes.py).
STATUS_AFTER = {
    "DEFAULT": {s: "LABELED" for s in STATUSES},
    "REVIEW": {s: "REVIEWED" for s in STATUSES},
    "AUTOSAVE": {
        "TODO": "ONGOING",
        "ONGOING": "ONGOING",
        "LABELED": "LABELED",
        "TO_REVIEW": "TO_REVIEW",
        "REVIEWED": "REVIEWED",
    },
    "PREDICTION": {s: s for s in STATUSES},
    "INFERENCE": {s: s for s in STATUSES},
}


def _label(asset_id: str, response: dict | str | None = None, **fields) -> dict:
    json_response = response if isinstance(response, str) else json.dumps(response or {"JOB": {"categories": []}})
    return {"assetID": asset_id, "jsonResponse": json_response, **fields}


def _data(label_type: str, labels: list[dict], **fields) -> dict:
    return {"labelType": label_type, "labelsData": labels, **fields}


async def _assets(api, key: str, ids: list[str]) -> dict[str, dict]:
    rows = (await api.data(ASSETS, {"where": {"idIn": ids}}, key=key))["assets"]
    return {r["id"]: r for r in rows}


async def _snapshot(api, key: str, ids: list[str]) -> dict:
    """Everything a refused call must leave as it was."""
    return await _assets(api, key, ids)


@pytest.mark.parametrize("label_type", list(STATUS_AFTER))
async def test_status_effects_of_each_label_type(api, seeder, label_type) -> None:
    team = await Team().build(seeder)
    assets = {status: await seeder.asset(team.project, status=status) for status in STATUSES}
    ids = [a.id for a in assets.values()]
    labels = [_label(a.id, modelName="m1" if label_type == "PREDICTION" else None) for a in assets.values()]
    created = (
        await api.data(APPEND, {"data": _data(label_type, labels), "where": {"idIn": ids}}, key=team.key["REVIEWER"])
    )["data"]
    assert [c["assetId"] for c in created] == ids and {c["labelType"] for c in created} == {label_type}
    rows = await _assets(api, team.key["ADMIN"], ids)
    for status, asset in assets.items():
        assert rows[asset.id]["status"] == STATUS_AFTER[label_type][status], (label_type, status)


async def test_labels_come_back_in_input_order_and_latest_labels_follow(api, seeder) -> None:
    team = await Team().build(seeder)
    a, b = await seeder.assets(team.project, 2)
    older = await seeder.label(a, team.user["REVIEWER"])
    labels = [
        _label(b.id, {"n": 0}, secondsToLabel=3.5),
        _label(a.id, {"n": 1}),
        _label(b.id, {"n": 2}),
        _label(a.id, {"n": 3}, authorID=team.user["LABELER"].id),
    ]
    created = (
        await api.data(
            APPEND, {"data": _data("DEFAULT", labels), "where": {"idIn": [a.id, b.id]}}, key=team.key["TEAM_MANAGER"]
        )
    )["data"]
    manager, labeler = team.user["TEAM_MANAGER"].id, team.user["LABELER"].id
    assert [json.loads(c["jsonResponse"]) for c in created] == [{"n": i} for i in range(4)]
    assert [c["authorId"] for c in created] == [manager, manager, manager, labeler]
    assert [c["author"]["id"] for c in created] == [c["authorId"] for c in created]
    assert created[0]["secondsToLabel"] == 3.5 and created[1]["secondsToLabel"] is None
    assert [c["createdAt"] for c in created] == sorted(c["createdAt"] for c in created)
    # Newest of its author on its asset: labels 1 (manager on a), 2 (manager on b), 3 (labeler on a).
    assert [c["isLatestLabelForUser"] for c in created] == [False, True, True, True]

    rows = await _assets(api, team.key["ADMIN"], [a.id, b.id])
    assert rows[a.id]["latestLabel"] == {"id": created[3]["id"], "authorId": labeler}
    assert rows[b.id]["latestLabel"] == {"id": created[2]["id"], "authorId": manager}
    assert [lab["id"] for lab in rows[a.id]["labels"]] == [older.id, created[1]["id"], created[3]["id"]]
    assert [lab["isLatestLabelForUser"] for lab in rows[a.id]["labels"]] == [True, True, True]

    # A newer label of the viewer on `a` takes over latestLabel and isLatestLabelForUser.
    newer = (
        await api.data(
            APPEND, {"data": _data("REVIEW", [_label(a.id)]), "where": {"id": a.id}}, key=team.key["TEAM_MANAGER"]
        )
    )["data"]
    rows = await _assets(api, team.key["ADMIN"], [a.id])
    assert rows[a.id]["latestLabel"]["id"] == newer[0]["id"]
    latest_of = {lab["id"]: lab["isLatestLabelForUser"] for lab in rows[a.id]["labels"]}
    assert latest_of[created[1]["id"]] is False and latest_of[newer[0]["id"]] is True


async def test_role_matrix(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="TODO")
    where = {"id": asset.id}
    for label_type in ("DEFAULT", "AUTOSAVE", "PREDICTION", "INFERENCE"):
        data = _data(label_type, [_label(asset.id, modelName="m")])
        assert len((await api.data(APPEND, {"data": data, "where": where}, key=team.key["LABELER"]))["data"]) == 1
    before = await _snapshot(api, team.key["ADMIN"], [asset.id])
    assert before[asset.id]["status"] == "LABELED"

    error = await api.error(
        APPEND, {"data": _data("REVIEW", [_label(asset.id)]), "where": where}, key=team.key["LABELER"]
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "labelsData[0]" in error["message"] and asset.id in error["message"] and "REVIEWER" in error["message"]
    error = await api.error(
        APPEND, {"data": _data("DEFAULT", [_label(asset.id)]), "where": where}, key=team.key["OUTSIDER"]
    )
    assert error["extensions"]["code"] == "NOT_FOUND" and "labelsData[0]" in error["message"]
    assert await _snapshot(api, team.key["ADMIN"], [asset.id]) == before

    assert (
        await api.data(APPEND, {"data": _data("REVIEW", [_label(asset.id)]), "where": where}, key=team.key["REVIEWER"])
    )["data"]
    assert (await _assets(api, team.key["ADMIN"], [asset.id]))[asset.id]["status"] == "REVIEWED"


async def test_authors(api, seeder) -> None:
    team = await Team().build(seeder)
    org_admin, _ = await seeder.user(team.org, admin=True)
    stranger_org = await seeder.organization()
    stranger, _ = await seeder.user(stranger_org, admin=True)
    asset = await seeder.asset(team.project)
    where = {"id": asset.id}

    def one(author: str | None) -> dict:
        return {"data": _data("DEFAULT", [_label(asset.id, authorID=author)]), "where": where}

    labeler = team.user["LABELER"]
    # null, or one's own id, is the viewer.
    assert (await api.data(APPEND, one(None), key=team.key["LABELER"]))["data"][0]["authorId"] == labeler.id
    assert (await api.data(APPEND, one(labeler.id), key=team.key["LABELER"]))["data"][0]["authorId"] == labeler.id
    # On behalf of another member: TEAM_MANAGER and above only.
    for role in ("LABELER", "REVIEWER"):
        error = await api.error(APPEND, one(team.user["ADMIN"].id), key=team.key[role])
        assert error["extensions"]["code"] == "FORBIDDEN", role
        assert "labelsData[0]" in error["message"] and team.user["ADMIN"].id in error["message"]
    reviewer = team.user["REVIEWER"]
    assert (await api.data(APPEND, one(reviewer.id), key=team.key["TEAM_MANAGER"]))["data"][0][
        "authorId"
    ] == reviewer.id
    # An admin of the project's organization may author without being a member.
    assert (await api.data(APPEND, one(org_admin.id), key=team.key["ADMIN"]))["data"][0]["authorId"] == org_admin.id
    before = await _snapshot(api, team.key["ADMIN"], [asset.id])
    for author in (team.user["OUTSIDER"].id, stranger.id, new_id()):
        error = await api.error(APPEND, one(author), key=team.key["ADMIN"])
        assert error["extensions"]["code"] == "BAD_USER_INPUT", author
        assert "labelsData[0]" in error["message"] and author in error["message"]
    assert await _snapshot(api, team.key["ADMIN"], [asset.id]) == before
    assert len(before[asset.id]["labels"]) == 4


async def test_one_bad_item_writes_nothing_and_is_named(api, seeder) -> None:
    team = await Team().build(seeder)
    assets = await seeder.assets(team.project, 3, status="TODO")
    ids = [a.id for a in assets]
    hidden = await seeder.asset(team.other_project)
    unknown = new_id()
    good = [_label(a.id) for a in assets]
    cases = [
        ("DEFAULT", _label(assets[1].id, "{not json"), {}, "BAD_USER_INPUT", assets[1].id),
        ("DEFAULT", _label(assets[1].id, "[1, 2]"), {}, "BAD_USER_INPUT", assets[1].id),
        ("DEFAULT", _label(assets[1].id, "null"), {}, "BAD_USER_INPUT", assets[1].id),
        # PostgreSQL's jsonb takes neither: they must be the client's error, not INTERNAL.
        ("DEFAULT", _label(assets[1].id, '{"x": NaN}'), {}, "BAD_USER_INPUT", assets[1].id),
        ("DEFAULT", _label(assets[1].id, '{"x": "a\\u0000b"}'), {}, "BAD_USER_INPUT", assets[1].id),
        ("PREDICTION", _label(assets[1].id), {}, "BAD_USER_INPUT", assets[1].id),
        ("DEFAULT", _label(unknown), {}, "NOT_FOUND", unknown),
        ("DEFAULT", _label(hidden.id), {}, "NOT_FOUND", hidden.id),
        ("DEFAULT", _label(assets[1].id, authorID=team.user["OUTSIDER"].id), {}, "BAD_USER_INPUT", assets[1].id),
    ]
    before = await _snapshot(api, team.key["ADMIN"], ids)
    for label_type, bad, extra, code, named in cases:
        labels = [{**good[0], "modelName": "m"}, bad, {**good[2], "modelName": "m"}]
        variables = {"data": _data(label_type, labels, **extra), "where": {"idIn": [*ids, hidden.id, unknown]}}
        error = await api.error(APPEND, variables, key=team.key["ADMIN"])
        assert error["extensions"]["code"] == code, (bad, error)
        assert "labelsData[1]" in error["message"] and named in error["message"], error["message"]
    # An asset outside `where` is not found either.
    variables = {"data": _data("DEFAULT", good), "where": {"idIn": ids[:2]}}
    error = await api.error(APPEND, variables, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "NOT_FOUND" and "labelsData[2]" in error["message"]
    error = await api.error(
        APPEND, {"data": _data("DEFAULT", good, stepId="s"), "where": {"idIn": ids}}, key=team.key["ADMIN"]
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "stepId" in error["message"]
    assert await _snapshot(api, team.key["ADMIN"], ids) == before
    assert all(not row["labels"] and row["status"] == "TODO" for row in before.values())


async def test_overwrite_replaces_the_same_authors_labels_of_the_same_type(api, seeder) -> None:
    team = await Team().build(seeder)
    asset, other = await seeder.assets(team.project, 2)
    manager, labeler = team.user["TEAM_MANAGER"], team.user["LABELER"]
    mine = await seeder.label(asset, manager, label_type="DEFAULT")
    theirs = await seeder.label(asset, labeler, label_type="DEFAULT")
    my_review = await seeder.label(asset, manager, label_type="REVIEW")
    elsewhere = await seeder.label(other, manager, label_type="DEFAULT")
    variables = {"data": _data("DEFAULT", [_label(asset.id)], overwrite=True), "where": {"id": asset.id}}
    new = (await api.data(APPEND, variables, key=team.key["TEAM_MANAGER"]))["data"][0]
    rows = await _assets(api, team.key["ADMIN"], [asset.id, other.id])
    assert {lab["id"] for lab in rows[asset.id]["labels"]} == {theirs.id, my_review.id, new["id"]}
    assert mine.id not in {lab["id"] for lab in rows[asset.id]["labels"]}
    assert [lab["id"] for lab in rows[other.id]["labels"]] == [elsewhere.id]

    # Without overwrite, labels accumulate.
    variables["data"]["overwrite"] = False
    again = (await api.data(APPEND, variables, key=team.key["TEAM_MANAGER"]))["data"][0]
    rows = await _assets(api, team.key["ADMIN"], [asset.id])
    assert {new["id"], again["id"]} <= {lab["id"] for lab in rows[asset.id]["labels"]}


async def test_overwrite_of_predictions_goes_by_model_name(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    v1 = await seeder.label(asset, team.user["LABELER"], label_type="PREDICTION", model_name="v1")
    v2 = await seeder.label(asset, team.user["ADMIN"], label_type="PREDICTION", model_name="v2")
    inference_v1 = await seeder.label(asset, team.user["ADMIN"], label_type="INFERENCE", model_name="v1")
    labels = [_label(asset.id, modelName="v1"), _label(asset.id, modelName="v1")]
    variables = {"data": _data("PREDICTION", labels, overwrite=True), "where": {"id": asset.id}}
    created = (await api.data(APPEND, variables, key=team.key["ADMIN"]))["data"]
    rows = await _assets(api, team.key["ADMIN"], [asset.id])
    remaining = {lab["id"] for lab in rows[asset.id]["labels"]}
    # Both new ones stay (a call never replaces its own labels), v1 by any author is replaced.
    assert remaining == {v2.id, inference_v1.id, created[0]["id"], created[1]["id"]}
    assert v1.id not in remaining and rows[asset.id]["status"] == "TODO"


async def test_append_to_labels(api, seeder) -> None:
    team = await Team().build(seeder)
    asset, second = await seeder.assets(team.project, 2, status="TODO")
    reviewer = team.user["REVIEWER"]
    data = {
        "authorID": reviewer.id,
        "jsonResponse": '{"a": 1}',
        "labelType": "DEFAULT",
        "secondsToLabel": 2,
        "skipped": True,
    }
    label = (await api.data(APPEND_TO, {"data": data, "where": {"id": asset.id}}, key=team.key["REVIEWER"]))["data"]
    assert label["assetId"] == asset.id and label["authorId"] == reviewer.id and label["secondsToLabel"] == 2
    rows = await _assets(api, team.key["ADMIN"], [asset.id])
    assert rows[asset.id]["status"] == "LABELED" and rows[asset.id]["skipped"] is True
    assert rows[asset.id]["latestLabel"]["id"] == label["id"]

    # skipped alone changes even when the status does not.
    data = {**data, "skipped": False, "labelType": "AUTOSAVE"}
    await api.data(APPEND_TO, {"data": data, "where": {"id": asset.id}}, key=team.key["REVIEWER"])
    rows = await _assets(api, team.key["ADMIN"], [asset.id])
    assert rows[asset.id]["status"] == "LABELED" and rows[asset.id]["skipped"] is False

    before = await _snapshot(api, team.key["ADMIN"], [asset.id, second.id])
    for where, code in [({"id": new_id()}, "NOT_FOUND"), ({"idIn": [asset.id, second.id]}, "BAD_USER_INPUT")]:
        error = await api.error(APPEND_TO, {"data": data, "where": where}, key=team.key["REVIEWER"])
        assert error["extensions"]["code"] == code, where
    bad = [
        ({**data, "jsonResponse": "oops"}, "BAD_USER_INPUT"),
        ({**data, "labelType": "REVIEW"}, "FORBIDDEN"),
        ({**data, "authorID": team.user["ADMIN"].id}, "FORBIDDEN"),
    ]
    for wrong, code in bad:
        error = await api.error(APPEND_TO, {"data": wrong, "where": {"id": second.id}}, key=team.key["LABELER"])
        assert error["extensions"]["code"] == code, wrong
        assert second.id in error["message"]
    assert await _snapshot(api, team.key["ADMIN"], [asset.id, second.id]) == before


async def test_labels_of_an_archived_project_are_locked(api, seeder) -> None:
    team = await Team().build(seeder)
    archived = await seeder.project(team.org, archived=True, members={team.user["LABELER"].id: "LABELER"})
    asset = await seeder.asset(archived)
    key = team.key["LABELER"]
    error = await api.error(APPEND, {"data": _data("DEFAULT", [_label(asset.id)]), "where": {"id": asset.id}}, key=key)
    assert error["extensions"]["code"] == "LOCKED" and archived.id in error["message"]
    data = {"authorID": team.user["LABELER"].id, "jsonResponse": "{}", "labelType": "DEFAULT"}
    error = await api.error(APPEND_TO, {"data": data, "where": {"id": asset.id}}, key=key)
    assert error["extensions"]["code"] == "LOCKED"
    row = (await _assets(api, key, [asset.id]))[asset.id]
    assert row["labels"] == [] and row["status"] == "TODO"


# 1 authentication, 1 lock (SELECT ... FOR UPDATE), 1 roles, 1 archive check, 1 INSERT, 1 status UPDATE.
APPEND_IDS = """mutation($data: AppendManyLabelsData!, $where: AssetWhere!) {
  appendManyLabels(data: $data, where: $where) { id } }"""
EXPECTED_STATEMENTS = 6


async def test_statement_count_does_not_grow_with_the_labels(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 100):
        team = await Team().build(seeder)
        assets = await seeder.assets(team.project, size)
        variables = {
            "data": _data("DEFAULT", [_label(a.id) for a in assets]),
            "where": {"idIn": [a.id for a in assets]},
        }
        sql_counter.statements.clear()
        with sql_counter:
            created = (await api.data(APPEND_IDS, variables, key=team.key["LABELER"]))["appendManyLabels"]
        assert len(created) == size
        counts[size] = sql_counter.count
    print(f"\nSQL statements for appendManyLabels of 1 and 100 labels: {counts}")
    assert counts[1] == counts[100] == EXPECTED_STATEMENTS, (counts, sql_counter.statements)
