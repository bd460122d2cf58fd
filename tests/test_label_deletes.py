"""deleteLabelsWhere and Kili's deleteLabels: status recompute, latest label, roles, archive, outcome, caps,
statement counts, LabelWhere.modelNameIn, and the Kili SDK's delete_labels."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from gateway.db import models
from resolvers import label_deletes
from resolvers.workflow import status_after_label_removal
from tests.factories import new_id
from tests.gates import run_gated
from tests.test_workflow import Team

DELETE = """mutation($where: LabelWhere!) { data: deleteLabelsWhere(where: $where) {
  succeeded { labelId assetId } declined { labelId assetId } failed { labelId } } }"""
ASSETS = """query($ids: [ID!]!) { assets(where: {idIn: $ids}, first: 100, skip: 0) {
  id status updatedAt latestLabel { id } labels { id } } }"""

# (status, labels it has in creation order, indexes of the labels deleted) → status after the deletion,
# from the rule in resolvers/workflow.py status_after_label_removal, written out by hand.
SCENARIOS = [
    ("REVIEWED", ["DEFAULT", "REVIEW"], [1], "LABELED"),
    ("REVIEWED", ["DEFAULT", "REVIEW", "REVIEW"], [2], "REVIEWED"),
    ("REVIEWED", ["REVIEW"], [0], "TODO"),
    ("REVIEWED", ["AUTOSAVE", "REVIEW"], [1], "ONGOING"),
    ("REVIEWED", ["DEFAULT", "REVIEW"], [0, 1], "TODO"),
    ("LABELED", ["DEFAULT"], [0], "TODO"),
    ("LABELED", ["AUTOSAVE", "DEFAULT"], [1], "ONGOING"),
    ("LABELED", ["REVIEW", "DEFAULT"], [1], "LABELED"),
    ("LABELED", ["DEFAULT", "PREDICTION"], [1], "LABELED"),
    ("TO_REVIEW", ["DEFAULT", "DEFAULT"], [1], "TO_REVIEW"),
    ("TO_REVIEW", ["DEFAULT"], [0], "TODO"),
    ("ONGOING", ["DEFAULT", "REVIEW"], [1], "ONGOING"),
    ("ONGOING", ["AUTOSAVE"], [0], "TODO"),
    ("TODO", ["PREDICTION", "INFERENCE"], [0, 1], "TODO"),
]


def _codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def _scenario_assets(seeder, team: Team, scenarios):
    """One asset per scenario with its labels (by the LABELER, REVIEW labels by the REVIEWER); returns
    [(asset, labels, deleted label ids, expected status)]."""
    built = []
    for status, types, deleted, expected in scenarios:
        asset = await seeder.asset(team.project, status=status)
        labels = []
        for label_type in types:
            author = team.user["REVIEWER" if label_type == "REVIEW" else "LABELER"]
            labels.append(
                await seeder.label(
                    asset, author, label_type=label_type, model_name="m1" if label_type == "PREDICTION" else None
                )
            )
        built.append((asset, labels, [labels[i].id for i in deleted], expected))
    return built


def test_the_rule_never_moves_an_asset_forward() -> None:
    order = {"TODO": 0, "ONGOING": 1, "LABELED": 2, "TO_REVIEW": 2, "REVIEWED": 3}
    kinds = ["DEFAULT", "REVIEW", "AUTOSAVE"]
    for status in order:
        for mask in range(8):
            remaining = {k for i, k in enumerate(kinds) if mask >> i & 1}
            after = status_after_label_removal(status, remaining)
            assert order[after] <= order[status], (status, remaining, after)


async def test_statuses_and_latest_labels_after_deleting(api, seeder, sql_counter) -> None:
    team = await Team().build(seeder)
    built = await _scenario_assets(seeder, team, SCENARIOS)
    asset_ids = [a.id for a, *_ in built]
    before = {r["id"]: r for r in (await api.data(ASSETS, {"ids": asset_ids}, key=team.key["ADMIN"]))["assets"]}
    deleted = [i for *_, ids, _ in built for i in ids]

    with sql_counter:
        outcome = (await api.data(DELETE, {"where": {"idIn": deleted}}, key=team.key["TEAM_MANAGER"]))["data"]
    many_statements = sql_counter.count

    assert sorted(r["labelId"] for r in outcome["succeeded"]) == sorted(deleted)
    asset_of = {label.id: asset.id for asset, labels, _, _ in built for label in labels}
    assert all(r["assetId"] == asset_of[r["labelId"]] for r in outcome["succeeded"])
    assert outcome["declined"] == [] and outcome["failed"] == []

    after = {r["id"]: r for r in (await api.data(ASSETS, {"ids": asset_ids}, key=team.key["ADMIN"]))["assets"]}
    for (asset, labels, gone, expected), scenario in zip(built, SCENARIOS, strict=True):
        row = after[asset.id]
        assert row["status"] == expected, scenario
        remaining = [label.id for label in labels if label.id not in gone]
        assert [label["id"] for label in row["labels"]] == remaining, scenario
        assert (row["latestLabel"] or {}).get("id") == (remaining[-1] if remaining else None), scenario
        # Only an asset whose status changed is touched.
        assert (row["updatedAt"] == before[asset.id]["updatedAt"]) == (expected == asset.status), scenario

    # The statement count does not grow with the number of labels and assets.
    one = await _scenario_assets(seeder, team, SCENARIOS[:1])
    with sql_counter:
        sql_counter.statements.clear()
        await api.data(DELETE, {"where": {"idIn": one[0][2]}}, key=team.key["TEAM_MANAGER"])
    assert sql_counter.count == many_statements


async def test_statement_count_is_pinned(api, seeder, sql_counter) -> None:
    """Eight statements, plus one lookup when a named id was not matched; two writes."""
    team = await Team().build(seeder)
    built = await _scenario_assets(seeder, team, SCENARIOS[:3])
    with sql_counter:
        await api.data(DELETE, {"where": {"idIn": [i for *_, ids, _ in built for i in ids]}}, key=team.key["ADMIN"])
    baseline = sql_counter.count
    # The API key, then lock, labels, roles, archive, DELETE, remaining label types, status UPDATE.
    assert baseline == 8, sql_counter.statements
    built = await _scenario_assets(seeder, team, SCENARIOS[:3])
    sql_counter.statements.clear()
    with sql_counter:
        await api.data(
            DELETE, {"where": {"idIn": [new_id(), *(i for *_, ids, _ in built for i in ids)]}}, key=team.key["ADMIN"]
        )
    assert sql_counter.count == baseline + 1
    writes = [s for s in sql_counter.statements if s.lstrip().upper().startswith(("DELETE", "UPDATE"))]
    assert len(writes) == 2, writes


async def test_deleting_only_predictions_reads_no_remaining_labels(api, seeder, sql_counter) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    await seeder.label(asset, team.user["LABELER"])
    prediction = await seeder.label(asset, team.user["TEAM_MANAGER"], label_type="PREDICTION", model_name="yolo")
    with sql_counter:
        await api.data(DELETE, {"where": {"idIn": [prediction.id]}}, key=team.key["TEAM_MANAGER"])
    assert not [s for s in sql_counter.statements if s.lstrip().upper().startswith("UPDATE")]


async def test_who_may_delete_what(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="REVIEWED")
    by_labeler = await seeder.label(asset, team.user["LABELER"])
    by_reviewer = await seeder.label(asset, team.user["REVIEWER"])
    review = await seeder.label(asset, team.user["TEAM_MANAGER"], label_type="REVIEW")
    refusals = [
        ("LABELER", by_reviewer),  # another author's DEFAULT label
        ("LABELER", review),  # a REVIEW label of another author
        ("REVIEWER", by_labeler),  # REVIEWER deletes REVIEW labels of others, not DEFAULT ones
    ]
    for role, label in refusals:
        error = await api.error(DELETE, {"where": {"idIn": [label.id, by_labeler.id]}}, key=team.key[role])
        assert error["extensions"]["code"] == "FORBIDDEN", (role, error)
        assert label.id in error["message"]
    # Nothing was deleted by the refused calls (each was one transaction).
    rows = (await api.data(ASSETS, {"ids": [asset.id]}, key=team.key["ADMIN"]))["assets"]
    assert len(rows[0]["labels"]) == 3 and rows[0]["status"] == "REVIEWED"

    reviewer = (await api.data(DELETE, {"where": {"idIn": [review.id]}}, key=team.key["REVIEWER"]))["data"]
    assert [r["labelId"] for r in reviewer["succeeded"]] == [review.id]
    own = (await api.data(DELETE, {"where": {"idIn": [by_labeler.id]}}, key=team.key["LABELER"]))["data"]
    assert [r["labelId"] for r in own["succeeded"]] == [by_labeler.id]
    manager = (await api.data(DELETE, {"where": {"idIn": [by_reviewer.id]}}, key=team.key["TEAM_MANAGER"]))["data"]
    assert [r["labelId"] for r in manager["succeeded"]] == [by_reviewer.id]
    rows = (await api.data(ASSETS, {"ids": [asset.id]}, key=team.key["ADMIN"]))["assets"]
    assert rows[0]["labels"] == [] and rows[0]["status"] == "TODO"

    # A labeler deletes what is theirs by narrowing `where` to their own labels.
    mine = await seeder.label(asset, team.user["LABELER"], label_type="AUTOSAVE")
    await seeder.label(asset, team.user["REVIEWER"], label_type="AUTOSAVE")
    where = {"asset": {"id": asset.id}, "authorIn": [team.user["LABELER"].email]}
    narrowed = (await api.data(DELETE, {"where": where}, key=team.key["LABELER"]))["data"]
    assert [r["labelId"] for r in narrowed["succeeded"]] == [mine.id]


async def test_outcome_names_gone_declined_and_refuses_invisible(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    default = await seeder.label(asset, team.user["LABELER"])
    prediction = await seeder.label(asset, team.user["LABELER"], label_type="PREDICTION", model_name="m")
    gone = new_id()
    where = {"idIn": [default.id, gone, prediction.id], "typeIn": ["PREDICTION"]}
    outcome = (await api.data(DELETE, {"where": where}, key=team.key["TEAM_MANAGER"]))["data"]
    assert outcome["succeeded"] == [
        {"labelId": prediction.id, "assetId": asset.id},
        {"labelId": gone, "assetId": None},
    ]
    assert outcome["declined"] == [{"labelId": default.id, "assetId": asset.id}]

    # A label of a project the viewer may not see: NOT_FOUND, and nothing is deleted.
    other_asset = await seeder.asset(team.other_project)
    hidden = await seeder.label(other_asset, team.user["OUTSIDER"])
    error = await api.error(DELETE, {"where": {"idIn": [default.id, hidden.id]}}, key=team.key["TEAM_MANAGER"])
    assert error["extensions"]["code"] == "NOT_FOUND" and hidden.id in error["message"]
    rows = (await api.data(ASSETS, {"ids": [asset.id]}, key=team.key["ADMIN"]))["assets"]
    assert [label["id"] for label in rows[0]["labels"]] == [default.id]


async def test_bad_input_archive_and_cap(api, seeder, monkeypatch) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    labels = [await seeder.label(asset, team.user["LABELER"]) for _ in range(3)]

    error = await api.error(DELETE, {"where": {}}, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    body = await api.raw(DELETE, {"where": {"typeIn": ["NOPE"]}}, key=team.key["ADMIN"])
    assert _codes(body) and body.get("data") is None

    monkeypatch.setattr(label_deletes, "MAX_LABELS_PER_CALL", 2)
    error = await api.error(DELETE, {"where": {"asset": {"id": asset.id}}}, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "more than 2 labels" in error["message"]
    monkeypatch.undo()

    await api.data(
        "mutation($id: ID!) { archiveProject(id: $id) { id } }", {"id": team.project.id}, key=team.key["ADMIN"]
    )
    error = await api.error(DELETE, {"where": {"idIn": [labels[0].id]}}, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "LOCKED"
    rows = (await api.data(ASSETS, {"ids": [asset.id]}, key=team.key["ADMIN"]))["assets"]
    assert len(rows[0]["labels"]) == 3


async def test_model_name_in_and_removing_an_annotation_source(api, seeder) -> None:
    team = await Team().build(seeder)
    assets = [await seeder.asset(team.project, status="LABELED") for _ in range(3)]
    manager = team.user["TEAM_MANAGER"]
    for asset in assets:
        await seeder.label(asset, team.user["LABELER"])
        await seeder.label(asset, manager, label_type="PREDICTION", model_name="yolo-v1")
        await seeder.label(asset, manager, label_type="PREDICTION", model_name="yolo-v2")
    await seeder.label(assets[0], manager, label_type="INFERENCE", model_name="yolo-v1")
    count = "query($w: LabelWhere!) { countLabels(where: $w) }"
    project = {"id": team.project.id}
    key = team.key["TEAM_MANAGER"]
    assert (await api.data(count, {"w": {"project": project, "modelNameIn": ["yolo-v1"]}}, key=key))["countLabels"] == 4
    assert (await api.data(count, {"w": {"project": project, "modelNameIn": []}}, key=key))["countLabels"] == 0

    # SceneBox remove_annotation_sources: one source, of one type, on some assets.
    where = {
        "project": project,
        "typeIn": ["PREDICTION"],
        "modelNameIn": ["yolo-v1"],
        "asset": {"idIn": [assets[0].id, assets[1].id]},
    }
    outcome = (await api.data(DELETE, {"where": where}, key=key))["data"]
    assert len(outcome["succeeded"]) == 2
    assert (await api.data(count, {"w": {"project": project, "modelNameIn": ["yolo-v1"]}}, key=key))["countLabels"] == 2
    statuses = (await api.data(ASSETS, {"ids": [a.id for a in assets]}, key=key))["assets"]
    assert {r["status"] for r in statuses} == {"LABELED"}


@pytest.mark.parametrize("connect", ["kili_connect", "kili_legacy_connect"])
async def test_kili_sdk_delete_labels(request, seeder, connect) -> None:
    """Both SDK generations send `deleteLabels(ids: $ids)` in batches of 100 and read back a list of ids."""
    kili_connect = request.getfixturevalue(connect)
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    default = await seeder.label(asset, team.user["LABELER"])
    predictions = [
        await seeder.label(asset, team.user["TEAM_MANAGER"], label_type="PREDICTION", model_name="m") for _ in range(2)
    ]
    kili = kili_connect(team.key["TEAM_MANAGER"])
    gone = new_id()
    deleted = kili.delete_labels(ids=[predictions[1].id, gone, predictions[0].id], disable_tqdm=True)
    assert deleted == [predictions[1].id, gone, predictions[0].id]
    remaining = kili.labels(project_id=team.project.id, fields=["id", "labelType"], disable_tqdm=True)
    assert [r["id"] for r in remaining] == [default.id]
    assert kili.delete_labels(ids=[default.id], disable_tqdm=True) == [default.id]
    asset_row = kili.assets(project_id=team.project.id, fields=["id", "status"], disable_tqdm=True)
    assert asset_row == [{"id": asset.id, "status": "TODO"}]


@pytest.mark.parametrize("role", ["LABELER", "REVIEWER"])
async def test_kili_delete_labels_refuses_others_labels(api, seeder, role) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    label = await seeder.label(asset, team.user["TEAM_MANAGER"])
    body = await api.raw("mutation($ids: [ID!]!) { deleteLabels(ids: $ids) }", {"ids": [label.id]}, key=team.key[role])
    assert _codes(body) == ["FORBIDDEN"]


@dataclass
class _Call:
    """A request raced through tests.test_concurrency's gate (its `request()`, `key` and `body`)."""

    name: str
    document: str
    variables: dict
    key: str
    body: dict = field(default_factory=dict)

    def request(self) -> tuple[str, dict]:
        return self.document, self.variables


APPEND_REVIEW = """mutation($data: AppendManyLabelsData!, $where: AssetWhere!) {
  data: appendManyLabels(data: $data, where: $where) { id } }"""


def _serial(order: tuple[str, ...]) -> tuple[dict[str, int], int, str]:
    """Replays deletes of every REVIEW label (A, C) and a REVIEW append (B) on an asset REVIEWED with a
    DEFAULT and a REVIEW label: (labels each delete call deleted, REVIEW labels left, final status)."""
    reviews, status, deleted = 1, "REVIEWED", {}
    for name in order:
        if name == "B":
            reviews, status = reviews + 1, "REVIEWED"
        else:
            deleted[name] = reviews
            status = "LABELED" if reviews else status
            reviews = 0
    return deleted, reviews, status


async def test_concurrent_deletes_and_appends_serialize(app, api, seeder) -> None:
    team = await Team().build(seeder)
    assets = [await seeder.asset(team.project, status="REVIEWED") for _ in range(3)]
    for asset in assets:
        await seeder.label(asset, team.user["LABELER"])
        await seeder.label(asset, team.user["REVIEWER"], label_type="REVIEW")
    ids = [a.id for a in assets]
    key = team.key["REVIEWER"]
    delete_reviews = {"where": {"asset": {"idIn": ids}, "typeIn": ["REVIEW"]}}
    review = {"labelType": "REVIEW", "labelsData": [{"assetID": i, "jsonResponse": "{}"} for i in ids]}
    calls = [
        _Call("A", DELETE, delete_reviews, key),
        _Call("B", APPEND_REVIEW, {"data": review, "where": {"idIn": ids}}, key),
        _Call("C", DELETE, delete_reviews, key),
    ]
    await run_gated(app, api, calls, ids)
    assert all(not call.body.get("errors") for call in calls), [c.body for c in calls]

    rows = (await api.data(ASSETS, {"ids": ids}, key=team.key["ADMIN"]))["assets"]
    label_types = (
        await api.data(
            "query($ids: [ID!]!) { labels(where: {asset: {idIn: $ids}}, first: 100, skip: 0) { assetId labelType } }",
            {"ids": ids},
            key=team.key["ADMIN"],
        )
    )["labels"]
    observed_deleted = {c.name: len(c.body["data"]["data"]["succeeded"]) for c in calls if c.name != "B"}
    observed = {
        "statuses": {r["status"] for r in rows},
        "reviews": {sum(1 for x in label_types if x["assetId"] == i and x["labelType"] == "REVIEW") for i in ids},
    }
    explanations = []
    for order in itertools.permutations("ABC"):
        deleted, reviews, status = _serial(order)
        expected_deleted = {name: n * len(ids) for name, n in deleted.items()}
        if expected_deleted == observed_deleted and observed == {"statuses": {status}, "reviews": {reviews}}:
            explanations.append(order)
    assert explanations, (observed_deleted, observed)


async def test_an_issue_on_a_deleted_label_stays_on_its_asset(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    label = await seeder.label(asset, team.user["LABELER"])
    issue = models.Issue(
        project_id=team.project.id, asset_id=asset.id, label_id=label.id, author_id=team.user["REVIEWER"].id, text="?"
    )
    await seeder.add(issue)
    await api.data(DELETE, {"where": {"idIn": [label.id]}}, key=team.key["LABELER"])
    rows = (
        await api.data(
            "query($id: ID!) { issues(where: {id: $id}, first: 10, skip: 0) { id assetId labelId } }",
            {"id": issue.id},
            key=team.key["ADMIN"],
        )
    )["issues"]
    assert rows == [{"id": issue.id, "assetId": asset.id, "labelId": None}]
