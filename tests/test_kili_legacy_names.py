"""The Kili 2.16x root fields: `me` is `viewer`; appendManyFramesToDatasetAsynchronously is
appendManyAssetsAsynchronously; addAllLabeledAssetsToReview, sendBackAssetsToQueue and deleteManyFromDataset
run the state machine of addAssetsToReview, sendAssetsBackToQueue and deleteAssets (same transitions,
declines, roles, LOCKED) and answer the project of the changed assets, or null."""

from __future__ import annotations

import pytest

from tests.factories import new_id
from tests.test_workflow import MUTATIONS, STATUS_OF, STATUSES, TRANSITIONS, Team

NEW_NAME = {
    "addAllLabeledAssetsToReview": "addAssetsToReview",
    "sendBackAssetsToQueue": "sendAssetsBackToQueue",
    "deleteManyFromDataset": "deleteAssets",
}
LEGACY = {name: f"mutation($where: AssetWhere!) {{ data: {name}(where: $where) {{ id title }} }}" for name in NEW_NAME}
TRANSITION_NAMES = ["addAllLabeledAssetsToReview", "sendBackAssetsToQueue"]
USER_FIELDS = "id email firstname lastname activated organizationId isOrganizationAdmin createdAt"


APPEND = """mutation($data: %sData!, $where: ProjectWhere!) {
  data: %s(data: $data, where: $where) { status userID } }"""
APPEND_LEGACY = APPEND % ("AppendManyFramesToDatasetAsynchronously", "appendManyFramesToDatasetAsynchronously")
APPEND_NEW = APPEND % ("AppendManyAssetsAsynchronously", "appendManyAssetsAsynchronously")


async def _statuses(api, key: str, ids: list[str]) -> dict[str, str]:
    rows = (await api.data(STATUS_OF, {"where": {"idIn": ids}}, key=key))["assets"]
    return {r["id"]: r["status"] for r in rows}


async def test_me_is_the_viewer(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, firstname="Ada", lastname="Lovelace", admin=True)
    data = await api.data(f"{{ me {{ {USER_FIELDS} }} viewer {{ {USER_FIELDS} }} }}", key=key)
    assert data["me"] == data["viewer"] and data["me"]["firstname"] == "Ada"
    # The SDK's constructor check, over plain HTTP: `{ me { id email } }`.
    assert (await api.raw("{ me { id email } }", key=key))["data"]["me"]["email"] == data["viewer"]["email"]
    refused = await api.error("{ me { id } }", key=None)
    assert refused["extensions"]["code"] == (await api.error("{ viewer { id } }", key=None))["extensions"]["code"]


async def test_append_many_frames_is_append_many_assets_asynchronously(api, seeder) -> None:
    team = await Team().build(seeder)
    data = {
        "contentArray": ["https://example.com/drive.mp4", "https://example.com/park.mp4"],
        "externalIDArray": ["drive", "park"],
        "idArray": [new_id(), new_id()],
        "jsonMetadataArray": ['{"fps": 25}', "{}"],
        "uploadType": "NATIVE_VIDEO",
    }
    variables = {"data": data, "where": {"id": team.project.id}}
    answer = (await api.data(APPEND_LEGACY, variables, key=team.key["TEAM_MANAGER"]))["data"]
    assert answer == {"status": "SUCCESS", "userID": team.user["TEAM_MANAGER"].id}
    rows = (await api.data(STATUS_OF, {"where": {"idIn": data["idArray"]}}, key=team.key["ADMIN"]))["assets"]
    assert sorted(r["id"] for r in rows) == sorted(data["idArray"])
    # Refused as the new name refuses: an external id the project has already (CONFLICT), a LABELER.
    variables = {"data": {**data, "idArray": [new_id(), new_id()]}, "where": {"id": team.project.id}}
    for role, code in [("TEAM_MANAGER", "CONFLICT"), ("LABELER", "FORBIDDEN")]:
        error = await api.error(APPEND_LEGACY, variables, key=team.key[role])
        new_error = await api.error(APPEND_NEW, variables, key=team.key[role])
        assert error["extensions"]["code"] == new_error["extensions"]["code"] == code
        assert error["message"] == new_error["message"]
    assert await _statuses(api, team.key["ADMIN"], variables["data"]["idArray"]) == {}


@pytest.mark.parametrize("legacy", TRANSITION_NAMES)
async def test_every_transition_of_the_state_machine(api, seeder, legacy) -> None:
    team = await Team().build(seeder)
    assets = {status: await seeder.asset(team.project, status=status) for status in STATUSES}
    ids = [a.id for a in assets.values()]
    before = {
        r["id"]: r["updatedAt"]
        for r in (await api.data(STATUS_OF, {"where": {"idIn": ids}}, key=team.key["ADMIN"]))["assets"]
    }

    answer = (await api.data(LEGACY[legacy], {"where": {"idIn": ids}}, key=team.key["REVIEWER"]))["data"]
    assert answer == {"id": team.project.id, "title": team.project.title}
    expected = TRANSITIONS[NEW_NAME[legacy]]
    rows = (await api.data(STATUS_OF, {"where": {"idIn": ids}}, key=team.key["ADMIN"]))["assets"]
    for row in rows:
        status = next(s for s, a in assets.items() if a.id == row["id"])
        assert row["status"] == (expected[status] or status), (legacy, status)
        assert (row["updatedAt"] == before[row["id"]]) == (expected[status] is None), (legacy, status)


@pytest.mark.parametrize("legacy", TRANSITION_NAMES)
async def test_null_when_nothing_changed(api, seeder, legacy) -> None:
    """Declined assets only (their status does not allow it, unknown ids, assets the viewer may not
    see): nothing changes and the answer is null, which the 2.164 SDK's add_to_review turns into None."""
    team = await Team().build(seeder)
    declined = [
        await seeder.asset(team.project, status=s)
        for s, after in TRANSITIONS[NEW_NAME[legacy]].items()
        if after is None
    ]
    hidden = await seeder.asset(team.other_project, status="LABELED")  # the reviewer may not see it
    ids = [a.id for a in declined] + [hidden.id, new_id()]
    assert (await api.data(LEGACY[legacy], {"where": {"idIn": ids}}, key=team.key["REVIEWER"]))["data"] is None
    assert await _statuses(api, team.key["ADMIN"], ids) == {a.id: a.status for a in declined}
    assert await _statuses(api, team.key["OUTSIDER"], [hidden.id]) == {hidden.id: "LABELED"}
    # The new name declines the same assets.
    outcome = (await api.data(MUTATIONS[NEW_NAME[legacy]], {"where": {"idIn": ids}}, key=team.key["REVIEWER"]))["data"]
    assert outcome["succeeded"] == [] and {r["assetId"] for r in outcome["declined"]} == set(ids)


async def test_delete_answers_the_project_then_null(api, seeder) -> None:
    team = await Team().build(seeder)
    doomed = await seeder.assets(team.project, 2, status="LABELED")
    await seeder.label(doomed[0], team.user["LABELER"])
    hidden = await seeder.asset(team.other_project)  # the team manager may not see it
    where = {"where": {"idIn": [doomed[0].id, hidden.id, doomed[1].id]}}
    answer = (await api.data(LEGACY["deleteManyFromDataset"], where, key=team.key["TEAM_MANAGER"]))["data"]
    assert answer == {"id": team.project.id, "title": team.project.title}
    assert await _statuses(api, team.key["ADMIN"], [a.id for a in doomed]) == {}
    assert await _statuses(api, team.key["OUTSIDER"], [hidden.id]) == {hidden.id: "TODO"}
    count = "query($id: ID!) { countLabels(where: {project: {id: $id}}) }"
    assert (await api.data(count, {"id": team.project.id}, key=team.key["ADMIN"]))["countLabels"] == 0
    # Already gone, or invisible: nothing deleted by this call, so null.
    assert (await api.data(LEGACY["deleteManyFromDataset"], where, key=team.key["TEAM_MANAGER"]))["data"] is None


async def test_several_projects_answer_the_project_of_the_changed_asset_named_last(api, seeder) -> None:
    """All matched assets change, as with the new names; the answer is the project of the changed
    asset `idIn` names last, the one the 2.164 SDK then counts (its `verify_last_batch`)."""
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    first, second = [await seeder.project(org, members={manager.id: "TEAM_MANAGER"}) for _ in range(2)]
    a1, a2 = await seeder.assets(first, 2, status="LABELED")
    b1 = await seeder.asset(second, status="LABELED")
    b_todo = await seeder.asset(second, status="TODO")
    mutation = LEGACY["addAllLabeledAssetsToReview"]

    answer = (await api.data(mutation, {"where": {"idIn": [a1.id, b1.id, b_todo.id]}}, key=key))["data"]
    assert answer["id"] == second.id  # b1 is the last one that changed; b_todo was declined
    assert await _statuses(api, key, [a1.id, b1.id, b_todo.id]) == {
        a1.id: "TO_REVIEW",
        b1.id: "TO_REVIEW",
        b_todo.id: "TODO",
    }

    mutation = LEGACY["sendBackAssetsToQueue"]
    answer = (await api.data(mutation, {"where": {"idIn": [b1.id, a2.id, a1.id]}}, key=key))["data"]
    assert answer["id"] == first.id
    assert await _statuses(api, key, [a1.id, a2.id, b1.id]) == {a1.id: "ONGOING", a2.id: "ONGOING", b1.id: "ONGOING"}
    # Without ids (by projects and status): the project of the last changed asset in id order.
    where = {"project": {"idIn": [first.id, second.id]}, "statusIn": ["ONGOING"]}
    answer = (await api.data(LEGACY["deleteManyFromDataset"], {"where": where}, key=key))["data"]
    assert answer["id"] == max([a1, a2, b1], key=lambda a: a.id).project_id
    assert await _statuses(api, key, [a1.id, a2.id, b1.id, b_todo.id]) == {b_todo.id: "TODO"}


@pytest.mark.parametrize("legacy", list(NEW_NAME))
async def test_refusals_are_those_of_the_new_names(api, seeder, legacy) -> None:
    """The same error code and message as the new name, and nothing written: too low a role
    (FORBIDDEN), an archived project (LOCKED), a `where` without conditions (BAD_USER_INPUT)."""
    team = await Team().build(seeder)
    archived = await seeder.project(team.org, archived=True, members={team.user["ADMIN"].id: "ADMIN"})
    assets = await seeder.assets(team.project, 2, status="LABELED")
    locked = await seeder.asset(archived, status="LABELED")
    ids = [a.id for a in assets]
    cases = [
        ({"idIn": ids}, "LABELER", "FORBIDDEN"),
        ({"idIn": [locked.id]}, "ADMIN", "LOCKED"),
        ({}, "ADMIN", "BAD_USER_INPUT"),
    ]
    if legacy == "deleteManyFromDataset":
        cases.append(({"idIn": ids}, "REVIEWER", "FORBIDDEN"))
    for where, role, code in cases:
        error = await api.error(LEGACY[legacy], {"where": where}, key=team.key[role])
        new_error = await api.error(MUTATIONS[NEW_NAME[legacy]], {"where": where}, key=team.key[role])
        assert error["extensions"]["code"] == new_error["extensions"]["code"] == code, (where, role, error)
        assert error["message"] == new_error["message"]
    assert await _statuses(api, team.key["ADMIN"], [*ids, locked.id]) == {i: "LABELED" for i in [*ids, locked.id]}


# The new name's 5 statements (tests/test_workflow.py), then 1 for the project answered.
EXPECTED_STATEMENTS = {"addAllLabeledAssetsToReview": 6, "sendBackAssetsToQueue": 6, "deleteManyFromDataset": 6}


@pytest.mark.parametrize("legacy", list(NEW_NAME))
async def test_statement_count_does_not_grow_with_the_assets(api, seeder, sql_counter, legacy) -> None:
    counts = {}
    for size in (1, 100):
        team = await Team().build(seeder)
        assets = await seeder.assets(team.project, size, status="LABELED")
        variables = {"where": {"idIn": [a.id for a in assets]}}
        sql_counter.statements.clear()
        with sql_counter:
            answer = (await api.data(LEGACY[legacy], variables, key=team.key["ADMIN"]))["data"]
        assert answer["id"] == team.project.id
        counts[size] = sql_counter.count
    print(f"\nSQL statements for {legacy} of 1 and 100 assets: {counts}")
    assert counts[1] == counts[100] == EXPECTED_STATEMENTS[legacy], (counts, sql_counter.statements)
