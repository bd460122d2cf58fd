"""Queue management over GraphQL: assignAssets, setAssetsPriority, skipAsset, unskipAsset,
setAssetConsensus. Effects, declines, roles, archived projects, bad input, one transaction,
concurrency and statement counts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from tests.factories import new_id
from tests.gates import run_gated
from tests.test_workflow import OUTCOME, STATUSES, Team

ASSIGN = f"""mutation($where: AssetWhere!, $userIds: [String!]!) {{
  data: assignAssets(where: $where, userIds: $userIds) {OUTCOME} }}"""
PRIORITY = f"""mutation($where: AssetWhere!, $priority: Int!) {{
  data: setAssetsPriority(where: $where, priority: $priority) {OUTCOME} }}"""
SKIP = """mutation($reason: String!, $where: AssetWhere!) {
  skipAsset(reason: $reason, where: $where) { id skipped skipReason } }"""
UNSKIP = "mutation($projectId: ID!, $assetId: ID!) { unskipAsset(projectId: $projectId, assetId: $assetId) }"
CONSENSUS = """mutation($projectId: ID!, $assetId: ID, $externalId: String, $isConsensus: Boolean!) {
  data: setAssetConsensus(
    projectId: $projectId, assetId: $assetId, externalId: $externalId, isConsensus: $isConsensus) }"""
STATE = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
  id priority skipped skipReason isUsedForConsensus updatedAt toBeLabeledBy { id } } }"""
APPEND_TO_LABELS = """mutation($data: AppendToLabelsData!, $where: AssetWhere!) {
  appendToLabels(data: $data, where: $where) { id } }"""


async def _state(api, key: str, ids: list[str]) -> dict[str, dict]:
    rows = (await api.data(STATE, {"where": {"idIn": ids}}, key=key))["assets"]
    return {r["id"]: r for r in rows}


async def _assignees(api, key: str, ids: list[str]) -> dict[str, set[str]]:
    return {i: {u["id"] for u in r["toBeLabeledBy"]} for i, r in (await _state(api, key, ids)).items()}


def _ref(asset) -> dict:
    return {"assetId": asset.id, "externalId": asset.external_id}


# --- assignAssets ---------------------------------------------------------------------------------


async def test_assign_assets_replaces_the_assignees(api, seeder) -> None:
    team = await Team().build(seeder)
    labeler, reviewer, manager = (team.user[r] for r in ("LABELER", "REVIEWER", "TEAM_MANAGER"))
    a, b, c = await seeder.assets(team.project, 3)
    await seeder.assign(c, manager)
    ids = [a.id, b.id, c.id]
    before = await _state(api, team.key["ADMIN"], ids)

    # By id and by (any-case) email; a user named twice is assigned once.
    user_ids = [labeler.id, reviewer.email.upper(), labeler.id]
    outcome = await api.data(ASSIGN, {"where": {"idIn": ids}, "userIds": user_ids}, key=team.key["TEAM_MANAGER"])
    assert outcome["data"] == {
        "succeeded": [_ref(x) for x in sorted((a, b, c), key=lambda x: x.id)],
        "declined": [],
        "failed": [],
    }
    assert await _assignees(api, team.key["ADMIN"], ids) == {i: {labeler.id, reviewer.id} for i in ids}

    # The same assignees again: succeeded, and nothing changed, so updatedAt stays.
    middle = await _state(api, team.key["ADMIN"], ids)
    assert middle[a.id]["updatedAt"] > before[a.id]["updatedAt"]
    again = await api.data(ASSIGN, {"where": {"id": a.id}, "userIds": [reviewer.id, labeler.id]}, key=team.key["ADMIN"])
    assert again["data"]["succeeded"] == [_ref(a)]
    assert (await _state(api, team.key["ADMIN"], [a.id]))[a.id]["updatedAt"] == middle[a.id]["updatedAt"]

    # [] unassigns; the other assets keep theirs.
    await api.data(ASSIGN, {"where": {"id": a.id}, "userIds": []}, key=team.key["TEAM_MANAGER"])
    assert await _assignees(api, team.key["ADMIN"], ids) == {
        a.id: set(),
        b.id: {labeler.id, reviewer.id},
        c.id: {labeler.id, reviewer.id},
    }
    # The assignee filter sees the change.
    assigned = await api.data(
        STATE, {"where": {"project": {"id": team.project.id}, "assigneeIn": [labeler.email]}}, key=team.key["ADMIN"]
    )
    assert {r["id"] for r in assigned["assets"]} == {b.id, c.id}


async def test_assign_keeps_a_labeler_whose_label_is_in_progress_and_declines_the_asset(api, seeder) -> None:
    team = await Team().build(seeder)
    labeler, reviewer = team.user["LABELER"], team.user["REVIEWER"]
    in_progress = await seeder.asset(team.project, status="ONGOING")
    second_labeler = await seeder.asset(team.project, status="LABELED")  # labeled by another, labeler mid-way
    submitted = await seeder.asset(team.project, status="LABELED")
    not_assigned = await seeder.asset(team.project, status="ONGOING")
    for asset in (in_progress, second_labeler, submitted):
        await seeder.assign(asset, labeler)
        await seeder.label(asset, labeler, label_type="AUTOSAVE")
    await seeder.label(second_labeler, reviewer, label_type="DEFAULT")
    await seeder.label(submitted, labeler, label_type="DEFAULT")  # submitted after the autosave
    await seeder.label(not_assigned, labeler, label_type="AUTOSAVE")
    ids = [in_progress.id, second_labeler.id, submitted.id, not_assigned.id]
    before = await _state(api, team.key["ADMIN"], ids)

    outcome = (await api.data(ASSIGN, {"where": {"idIn": ids}, "userIds": [reviewer.id]}, key=team.key["ADMIN"]))[
        "data"
    ]
    assert {r["assetId"] for r in outcome["succeeded"]} == {submitted.id, not_assigned.id}
    assert {r["assetId"] for r in outcome["declined"]} == {in_progress.id, second_labeler.id}
    after = await _state(api, team.key["ADMIN"], ids)
    assert {i: {u["id"] for u in r["toBeLabeledBy"]} for i, r in after.items()} == {
        in_progress.id: {labeler.id},
        second_labeler.id: {labeler.id},
        submitted.id: {reviewer.id},
        not_assigned.id: {reviewer.id},
    }
    for declined in (in_progress.id, second_labeler.id):  # left exactly as they were
        assert after[declined]["updatedAt"] == before[declined]["updatedAt"]

    # Keeping the labeler among the new assignees is fine.
    outcome = (
        await api.data(
            ASSIGN, {"where": {"id": in_progress.id}, "userIds": [labeler.id, reviewer.id]}, key=team.key["ADMIN"]
        )
    )["data"]
    assert outcome["succeeded"] == [_ref(in_progress)] and outcome["declined"] == []
    assert (await _assignees(api, team.key["ADMIN"], [in_progress.id]))[in_progress.id] == {labeler.id, reviewer.id}


async def test_assign_refuses_users_who_may_not_label_the_project_and_writes_nothing(api, seeder) -> None:
    team = await Team().build(seeder)
    labeler, outsider = team.user["LABELER"], team.user["OUTSIDER"]
    asset = await seeder.asset(team.project)
    await seeder.assign(asset, labeler)
    org_admin, _ = await seeder.user(team.org, admin=True)
    unknown = "nobody@example.com"
    for user_ids in ([team.user["REVIEWER"].id, outsider.id], [unknown], [new_id()]):
        error = await api.error(ASSIGN, {"where": {"id": asset.id}, "userIds": user_ids}, key=team.key["ADMIN"])
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert (
            "userIds" in error["message"] and user_ids[-1] in error["message"] and team.project.id in error["message"]
        )
    assert await _assignees(api, team.key["ADMIN"], [asset.id]) == {asset.id: {labeler.id}}
    # An admin of the organization may be assigned without being a member.
    await api.data(ASSIGN, {"where": {"id": asset.id}, "userIds": [org_admin.id]}, key=team.key["ADMIN"])
    assert await _assignees(api, team.key["ADMIN"], [asset.id]) == {asset.id: {org_admin.id}}
    error = await api.error(
        ASSIGN, {"where": {"id": asset.id}, "userIds": [f"u{i}" for i in range(101)]}, key=team.key["ADMIN"]
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "at most 100" in error["message"]


async def test_assign_declines_named_assets_it_does_not_act_on(api, seeder) -> None:
    team = await Team().build(seeder)
    mine, hidden = await seeder.asset(team.project), await seeder.asset(team.other_project)
    unknown = new_id()
    where = {"idIn": [unknown, mine.id, hidden.id], "externalIdStrictlyIn": [mine.external_id, "no-such-asset"]}
    outcome = (
        await api.data(ASSIGN, {"where": where, "userIds": [team.user["LABELER"].id]}, key=team.key["TEAM_MANAGER"])
    )["data"]
    assert outcome == {
        "succeeded": [_ref(mine)],
        "declined": [
            {"assetId": unknown, "externalId": None},
            {"assetId": hidden.id, "externalId": None},
            {"assetId": "", "externalId": "no-such-asset"},
        ],
        "failed": [],
    }


# --- setAssetsPriority ----------------------------------------------------------------------------


async def test_set_priority_touches_only_assets_waiting_for_work(api, seeder) -> None:
    team = await Team().build(seeder)
    by_status = {s: await seeder.asset(team.project, status=s) for s in STATUSES}
    skipped = await seeder.asset(team.project, status="TODO", skipped=True, skip_reason="blurry")
    already = await seeder.asset(team.project, status="TODO", priority=5)
    unknown = new_id()
    assets = [*by_status.values(), skipped, already]
    ids = [a.id for a in assets]
    before = await _state(api, team.key["ADMIN"], ids)

    outcome = (
        await api.data(PRIORITY, {"where": {"idIn": [*ids, unknown]}, "priority": 5}, key=team.key["TEAM_MANAGER"])
    )["data"]
    waiting = {by_status["TODO"].id, by_status["TO_REVIEW"].id, already.id}
    assert {r["assetId"] for r in outcome["succeeded"]} == waiting
    assert [r["assetId"] for r in outcome["declined"]] == [
        *sorted(set(ids) - waiting),
        unknown,
    ]
    after = await _state(api, team.key["ADMIN"], ids)
    for asset in assets:
        assert after[asset.id]["priority"] == (5 if asset.id in waiting else asset.priority or 0), asset.status
        changed = asset.id in waiting and asset is not already
        assert (after[asset.id]["updatedAt"] != before[asset.id]["updatedAt"]) == changed, asset.status


@pytest.mark.parametrize("mutation", ["assign", "priority"])
async def test_assign_and_priority_need_team_manager_an_unarchived_project_and_a_condition(
    api, seeder, mutation
) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    query, extra = (ASSIGN, {"userIds": []}) if mutation == "assign" else (PRIORITY, {"priority": 3})
    for role in ("LABELER", "REVIEWER"):
        error = await api.error(query, {"where": {"id": asset.id}, **extra}, key=team.key[role])
        assert error["extensions"]["code"] == "FORBIDDEN" and "TEAM_MANAGER" in error["message"], (role, error)
    error = await api.error(query, {"where": {}, **extra}, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # An asset the viewer may not see is declined, not acted on.
    outcome = (await api.data(query, {"where": {"id": asset.id}, **extra}, key=team.key["OUTSIDER"]))["data"]
    assert outcome["succeeded"] == [] and outcome["declined"] == [{"assetId": asset.id, "externalId": None}]

    members = {team.user["ADMIN"].id: "ADMIN", team.user["LABELER"].id: "LABELER"}
    archived = await seeder.project(team.org, archived=True, members=members)
    frozen = await seeder.asset(archived)
    await seeder.assign(frozen, team.user["LABELER"])
    error = await api.error(query, {"where": {"id": frozen.id}, **extra}, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "LOCKED" and archived.id in error["message"]
    state = (await _state(api, team.key["ADMIN"], [frozen.id]))[frozen.id]
    assert state["priority"] == 0 and state["toBeLabeledBy"] == [{"id": team.user["LABELER"].id}]


# --- skipAsset / unskipAsset ----------------------------------------------------------------------


async def test_a_labeler_skips_with_a_reason_and_unskips(api, seeder) -> None:
    team = await Team().build(seeder)
    asset, other = await seeder.asset(team.project), await seeder.asset(team.project)
    where = {"id": asset.id, "project": {"id": team.project.id}}  # what the Kili SDK sends
    skipped = (await api.data(SKIP, {"reason": "blurry", "where": where}, key=team.key["LABELER"]))["skipAsset"]
    assert skipped == {"id": asset.id, "skipped": True, "skipReason": "blurry"}
    project = {"id": team.project.id}
    listed = await api.data(STATE, {"where": {"project": project, "skipped": True}}, key=team.key["ADMIN"])
    assert [r["id"] for r in listed["assets"]] == [asset.id]
    listed = await api.data(STATE, {"where": {"project": project, "skipped": False}}, key=team.key["ADMIN"])
    assert [r["id"] for r in listed["assets"]] == [other.id]
    # Skipping again replaces the reason.
    again = await api.data(SKIP, {"reason": "out of scope", "where": {"id": asset.id}}, key=team.key["REVIEWER"])
    assert again["skipAsset"]["skipReason"] == "out of scope"

    answer = await api.data(UNSKIP, {"projectId": team.project.id, "assetId": asset.id}, key=team.key["LABELER"])
    assert answer == {"unskipAsset": asset.id}
    state = (await _state(api, team.key["ADMIN"], [asset.id]))[asset.id]
    assert (state["skipped"], state["skipReason"]) == (False, None)
    # Unskipping an asset that is not skipped leaves it as it is.
    await api.data(UNSKIP, {"projectId": team.project.id, "assetId": asset.id}, key=team.key["LABELER"])
    assert (await _state(api, team.key["ADMIN"], [asset.id]))[asset.id]["updatedAt"] == state["updatedAt"]


async def test_unskipping_through_append_to_labels_drops_the_reason(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    await api.data(SKIP, {"reason": "blurry", "where": {"id": asset.id}}, key=team.key["LABELER"])
    data = {"authorID": team.user["LABELER"].id, "jsonResponse": "{}", "labelType": "DEFAULT", "skipped": False}
    await api.data(APPEND_TO_LABELS, {"data": data, "where": {"id": asset.id}}, key=team.key["LABELER"])
    state = (await _state(api, team.key["ADMIN"], [asset.id]))[asset.id]
    assert (state["skipped"], state["skipReason"]) == (False, None)


async def test_skip_refusals(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    consensus = await seeder.asset(team.project, is_used_for_consensus=True)
    cases = [
        ({"reason": "", "where": {"id": asset.id}}, "LABELER", "BAD_USER_INPUT", "reason"),
        ({"reason": "  ", "where": {"id": asset.id}}, "LABELER", "BAD_USER_INPUT", "reason"),
        ({"reason": "x" * 2001, "where": {"id": asset.id}}, "LABELER", "BAD_USER_INPUT", "2000"),
        ({"reason": "r", "where": {}}, "LABELER", "BAD_USER_INPUT", "where"),
        ({"reason": "r", "where": {"project": {"id": team.project.id}}}, "LABELER", "BAD_USER_INPUT", "several"),
        ({"reason": "r", "where": {"id": consensus.id}}, "LABELER", "BAD_USER_INPUT", "consensus"),
        ({"reason": "r", "where": {"id": new_id()}}, "LABELER", "NOT_FOUND", "matches no asset"),
        ({"reason": "r", "where": {"id": asset.id}}, "OUTSIDER", "NOT_FOUND", asset.id),
    ]
    for variables, role, code, words in cases:
        error = await api.error(SKIP, variables, key=team.key[role])
        assert error["extensions"]["code"] == code and words in error["message"], (variables, error)
    state = await _state(api, team.key["ADMIN"], [asset.id, consensus.id])
    assert not any(r["skipped"] or r["skipReason"] for r in state.values())

    for variables, role in [
        ({"projectId": team.project.id, "assetId": new_id()}, "LABELER"),
        ({"projectId": team.other_project.id, "assetId": asset.id}, "OUTSIDER"),  # not in that project
        ({"projectId": team.project.id, "assetId": asset.id}, "OUTSIDER"),  # a project they may not see
    ]:
        error = await api.error(UNSKIP, variables, key=team.key[role])
        assert error["extensions"]["code"] == "NOT_FOUND", (variables, error)


async def test_skip_and_unskip_on_an_archived_project_are_locked(api, seeder) -> None:
    team = await Team().build(seeder)
    archived = await seeder.project(team.org, archived=True, members={team.user["LABELER"].id: "LABELER"})
    asset = await seeder.asset(archived, skipped=True, skip_reason="old")
    error = await api.error(SKIP, {"reason": "r", "where": {"id": asset.id}}, key=team.key["LABELER"])
    assert error["extensions"]["code"] == "LOCKED" and archived.id in error["message"]
    error = await api.error(UNSKIP, {"projectId": archived.id, "assetId": asset.id}, key=team.key["LABELER"])
    assert error["extensions"]["code"] == "LOCKED"
    state = (await _state(api, team.key["LABELER"], [asset.id]))[asset.id]
    assert (state["skipped"], state["skipReason"]) == (True, "old")


# --- setAssetConsensus ----------------------------------------------------------------------------


async def test_set_asset_consensus_points_v1_projects_to_update_properties_in_assets(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    by_id = {"projectId": team.project.id, "assetId": asset.id, "isConsensus": True}
    error = await api.error(CONSENSUS, by_id, key=team.key["TEAM_MANAGER"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "V1" in error["message"] and "`updatePropertiesInAssets`" in error["message"]
    by_external_id = {"projectId": team.project.id, "externalId": asset.external_id, "isConsensus": False}
    assert (await api.error(CONSENSUS, by_external_id, key=team.key["ADMIN"]))["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api.error(CONSENSUS, by_id, key=team.key["LABELER"]))["extensions"]["code"] == "FORBIDDEN"
    assert (await api.error(CONSENSUS, by_id, key=team.key["OUTSIDER"]))["extensions"]["code"] == "NOT_FOUND"
    error = await api.error(CONSENSUS, {"projectId": team.project.id, "isConsensus": True}, key=team.key["ADMIN"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "assetId or externalId" in error["message"]
    assert (await _state(api, team.key["ADMIN"], [asset.id]))[asset.id]["isUsedForConsensus"] is False


# --- concurrency ----------------------------------------------------------------------------------


@dataclass
class GatedCall:
    """A request for tests.gates.run_gated: `request()`, `key`, and the `body` it got."""

    query: str
    variables: dict
    key: str
    body: dict = field(default_factory=dict)

    def request(self) -> tuple[str, dict]:
        return self.query, self.variables


async def test_concurrent_assignments_and_priorities_on_the_same_assets_serialize(api, seeder, app, caplog) -> None:
    caplog.set_level(logging.ERROR)
    team = await Team().build(seeder)
    assets = await seeder.assets(team.project, 20)
    ids = [a.id for a in assets]
    labeler, reviewer = team.user["LABELER"].id, team.user["REVIEWER"].id
    manager = team.key["TEAM_MANAGER"]
    calls = [
        GatedCall(ASSIGN, {"where": {"idIn": ids}, "userIds": [labeler]}, manager),
        GatedCall(ASSIGN, {"where": {"idIn": ids[::-1]}, "userIds": [reviewer]}, team.key["ADMIN"]),
        GatedCall(ASSIGN, {"where": {"idIn": ids[5:15]}, "userIds": [labeler, reviewer]}, manager),
        GatedCall(PRIORITY, {"where": {"idIn": ids[::-1]}, "priority": 4}, manager),
        GatedCall(SKIP, {"reason": "dup", "where": {"id": ids[10]}}, team.key["LABELER"]),
    ]
    await run_gated(app, api, calls, ids)
    for call in calls:
        assert not call.body.get("errors"), call.body["errors"]
    assert not [r for r in caplog.records if "deadlock" in r.getMessage().lower() or r.exc_info]
    for call in calls[:3]:
        assert len(call.body["data"]["data"]["succeeded"]) == len(call.variables["where"]["idIn"])
    # The skip and the priority serialized on ids[10]: priority succeeded there only if it came first.
    priority = calls[3].body["data"]["data"]
    assert len(priority["succeeded"]) + len(priority["declined"]) == len(ids)
    assert {r["assetId"] for r in priority["declined"]} <= {ids[10]}

    # Each call ran as a whole: the two full assignments each left every asset the same way, so
    # the assets outside the middle block share one set of assignees, the last full call's.
    after = await _state(api, team.key["ADMIN"], ids)
    outer = {frozenset(u["id"] for u in after[i]["toBeLabeledBy"]) for i in ids[:5] + ids[15:]}
    assert outer in ({frozenset({labeler})}, {frozenset({reviewer})})
    inner = {frozenset(u["id"] for u in after[i]["toBeLabeledBy"]) for i in ids[5:15]}
    assert len(inner) == 1 and next(iter(inner)) in (next(iter(outer)), frozenset({labeler, reviewer}))
    assert all(r["priority"] == 4 for i, r in after.items() if i != ids[10])


# --- statement counts ----------------------------------------------------------------------------

# 1 authentication, 1 lock (SELECT ... FOR UPDATE), 1 roles, 1 archive check (projects FOR SHARE),
# 1 users, 1 labelers in progress, 1 write (DELETE + INSERT + UPDATE in one statement).
ASSIGN_STATEMENTS = 7
# 1 authentication, 1 lock, 1 roles, 1 archive check, 1 UPDATE ... RETURNING.
PRIORITY_STATEMENTS = 5


async def test_assign_costs_the_same_statements_for_1_and_100_assets(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 100):
        team = await Team().build(seeder)
        assets = await seeder.assets(team.project, size)
        for asset in assets:
            await seeder.assign(asset, team.user["TEAM_MANAGER"])
        variables = {
            "where": {"idIn": [a.id for a in assets]},
            "userIds": [team.user["LABELER"].id, team.user["REVIEWER"].id],
        }
        sql_counter.statements.clear()
        with sql_counter:
            outcome = (await api.data(ASSIGN, variables, key=team.key["TEAM_MANAGER"]))["data"]
        assert len(outcome["succeeded"]) == size
        counts[size] = sql_counter.count
    print(f"\nSQL statements for assignAssets of 1 and 100 assets: {counts}")
    assert counts[1] == counts[100] == ASSIGN_STATEMENTS, (counts, sql_counter.statements)


async def test_set_priority_costs_the_same_statements_for_1_and_100_assets(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 100):
        team = await Team().build(seeder)
        assets = await seeder.assets(team.project, size)
        sql_counter.statements.clear()
        with sql_counter:
            variables = {"where": {"idIn": [a.id for a in assets]}, "priority": 9}
            outcome = (await api.data(PRIORITY, variables, key=team.key["TEAM_MANAGER"]))["data"]
        assert len(outcome["succeeded"]) == size
        counts[size] = sql_counter.count
    print(f"\nSQL statements for setAssetsPriority of 1 and 100 assets: {counts}")
    assert counts[1] == counts[100] == PRIORITY_STATEMENTS, (counts, sql_counter.statements)
