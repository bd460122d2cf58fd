"""The role each mutation needs comes from one table (resolvers.roles.MUTATION_ROLES): the SDL says what it
gives, and the code refuses a user one role below it and lets a user at it through."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from gateway.db import models
from resolvers.roles import GRANT_ADMIN, LABEL_ON_BEHALF, MUTATION_ROLES, RAISE_ISSUE, REVIEW_LABELS, Role
from schema.build import build_schema
from tests.factories import Seeder

ROLES = [Role.LABELER, Role.REVIEWER, Role.TEAM_MANAGER, Role.ADMIN]


def test_the_table_names_every_mutation_and_only_those() -> None:
    mutations = set(build_schema()._schema.mutation_type.fields)
    assert set(MUTATION_ROLES) == mutations
    assert all(needs.why and needs.where for needs in MUTATION_ROLES.values())


def test_every_mutation_description_states_the_role_of_the_table() -> None:
    fields = build_schema()._schema.mutation_type.fields
    for name, field in fields.items():
        needs = MUTATION_ROLES[name]
        assert field.description.endswith(needs.sentence()), name
        if needs.role is None:
            assert "Needs no project role" in field.description, name
        else:
            assert f"Needs {needs.role.name} or above" in field.description, name
        # No other sentence claims a different minimum role.
        others = {f"Needs {r.name}" for r in ROLES} - ({f"Needs {needs.role.name}"} if needs.role else set())
        assert not any(other in field.description for other in others), name


@dataclass
class World:
    """A project with one member per role, a user of the organization who is no member, two assets (the
    first LABELED and skipped, with a label and an issue)."""

    project_id: str
    user_ids: dict[str, str]
    keys: dict[str, str]
    asset_id: str
    label_id: str
    issue_id: str
    set_id: str
    session_id: str


async def _world(seeder: Seeder) -> World:
    org = await seeder.organization()
    users, keys = {}, {}
    for name in [*(r.name for r in ROLES), "OUTSIDER"]:
        users[name], keys[name] = await seeder.user(org)
    project = await seeder.project(org, members={users[r.name].id: r.name for r in ROLES})
    asset, _ = await seeder.assets(project, 2, status="LABELED", skipped=True, skip_reason="blurry")
    label = await seeder.label(asset, users["LABELER"])
    issue = models.Issue(project_id=project.id, asset_id=asset.id, author_id=users["REVIEWER"].id, text="box?")
    await seeder.add(issue)
    asset_set = await seeder.asset_set(project, [asset])
    session = await seeder.session(project, start_time=_T0, end_time=_T1)
    await seeder.event(session, name="weather")
    return World(
        project_id=project.id,
        user_ids={name: user.id for name, user in users.items()},
        keys=keys,
        asset_id=asset.id,
        label_id=label.id,
        issue_id=issue.id,
        set_id=asset_set.id,
        session_id=session.id,
    )


Call = tuple[str, dict]
_T0, _T1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)


def _label_data(w: World, label_type: str = "DEFAULT", author: str | None = None) -> dict:
    item = {"assetID": w.asset_id, "jsonResponse": json.dumps({"JOB": {}})}
    if author:
        item["authorID"] = w.user_ids[author]
    return {"labelType": label_type, "labelsData": [item]}


_MEMBER = "mutation($data: ProjectMemberData!) { m: {field}(data: $data) { id } }"
_WHERE_IDS = "mutation($ids: [ID!]!) {{ m: {field}(where: {{idIn: $ids}}) {{ succeeded {{ assetId }} }} }}"
_LEGACY_WHERE_IDS = "mutation($ids: [ID!]!) {{ m: {field}(where: {{idIn: $ids}}) {{ id }} }}"

# mutation → how to call it on a World, and the code a user at its role gets when not plain success.
CALLS: dict[str, Callable[[World], Call]] = {
    "updateProject": lambda w: (
        'mutation($id: ID!) { m: updateProject(id: $id, data: {description: "d"}) { id } }',
        {"id": w.project_id},
    ),
    "archiveProject": lambda w: ("mutation($id: ID!) { m: archiveProject(id: $id) { id } }", {"id": w.project_id}),
    "unarchiveProject": lambda w: (
        "mutation($id: ID!) { m: unarchiveProject(id: $id) { id } }",
        {"id": w.project_id},
    ),
    "addProjectMember": lambda w: (
        _MEMBER.replace("{field}", "addProjectMember"),
        {"data": {"projectID": w.project_id, "user": w.user_ids["OUTSIDER"], "role": "LABELER"}},
    ),
    "updateProjectMemberRole": lambda w: (
        _MEMBER.replace("{field}", "updateProjectMemberRole"),
        {"data": {"projectID": w.project_id, "user": w.user_ids["LABELER"], "role": "REVIEWER"}},
    ),
    "removeProjectMember": lambda w: (
        "mutation($p: ID!, $u: String!) { m: removeProjectMember(projectID: $p, user: $u) { id } }",
        {"p": w.project_id, "u": w.user_ids["LABELER"]},
    ),
    "appendManyAssets": lambda w: (
        'mutation($p: ID!) { m: appendManyAssets(data: {contentArray: ["https://example.com/n.jpg"], '
        'externalIDArray: ["new"]}, where: {id: $p}) { id } }',
        {"p": w.project_id},
    ),
    "appendManyAssetsAsynchronously": lambda w: (
        "mutation($p: ID!) { m: appendManyAssetsAsynchronously(data: {contentArray: "
        '["https://example.com/n.jpg"], externalIDArray: ["new"]}, where: {id: $p}) { id } }',
        {"p": w.project_id},
    ),
    "updatePropertiesInAssets": lambda w: (
        "mutation($a: ID!) { m: updatePropertiesInAssets(where: [{id: $a}], data: [{priority: 3}]) { id } }",
        {"a": w.asset_id},
    ),
    "deleteAssets": lambda w: (_WHERE_IDS.format(field="deleteAssets"), {"ids": [w.asset_id]}),
    "addAssetsToReview": lambda w: (_WHERE_IDS.format(field="addAssetsToReview"), {"ids": [w.asset_id]}),
    "sendAssetsBackToQueue": lambda w: (_WHERE_IDS.format(field="sendAssetsBackToQueue"), {"ids": [w.asset_id]}),
    # The Kili 2.16x names answer the project of the changed assets (or null).
    "appendManyFramesToDatasetAsynchronously": lambda w: (
        "mutation($p: ID!) { m: appendManyFramesToDatasetAsynchronously(data: {contentArray: "
        '["https://example.com/n.jpg"], externalIDArray: ["new"]}, where: {id: $p}) { id } }',
        {"p": w.project_id},
    ),
    "deleteManyFromDataset": lambda w: (_LEGACY_WHERE_IDS.format(field="deleteManyFromDataset"), {"ids": [w.asset_id]}),
    "addAllLabeledAssetsToReview": lambda w: (
        _LEGACY_WHERE_IDS.format(field="addAllLabeledAssetsToReview"),
        {"ids": [w.asset_id]},
    ),
    "sendBackAssetsToQueue": lambda w: (_LEGACY_WHERE_IDS.format(field="sendBackAssetsToQueue"), {"ids": [w.asset_id]}),
    "assignAssets": lambda w: (
        "mutation($ids: [ID!]!, $u: [String!]!) { m: assignAssets(where: {idIn: $ids}, userIds: $u) "
        "{ succeeded { assetId } } }",
        {"ids": [w.asset_id], "u": [w.user_ids["LABELER"]]},
    ),
    "setAssetsPriority": lambda w: (
        "mutation($ids: [ID!]!) { m: setAssetsPriority(where: {idIn: $ids}, priority: 2) { declined { assetId } } }",
        {"ids": [w.asset_id]},
    ),
    "skipAsset": lambda w: (
        'mutation($a: ID!) { m: skipAsset(reason: "dark", where: {id: $a}) { id } }',
        {"a": w.asset_id},
    ),
    "unskipAsset": lambda w: (
        "mutation($p: ID!, $a: ID!) { m: unskipAsset(projectId: $p, assetId: $a) }",
        {"p": w.project_id, "a": w.asset_id},
    ),
    "setAssetConsensus": lambda w: (
        "mutation($p: ID!, $a: ID!) { m: setAssetConsensus(projectId: $p, assetId: $a, isConsensus: true) }",
        {"p": w.project_id, "a": w.asset_id},
    ),
    "appendManyLabels": lambda w: (
        "mutation($d: AppendManyLabelsData!, $ids: [ID!]!) { m: appendManyLabels(data: $d, where: {idIn: $ids}) "
        "{ id } }",
        {"d": _label_data(w), "ids": [w.asset_id]},
    ),
    # The world's label is the LABELER's own (the rules above it: tests/test_label_deletes.py).
    "deleteLabelsWhere": lambda w: (
        "mutation($ids: [ID!]!) { m: deleteLabelsWhere(where: {idIn: $ids}) { succeeded { labelId } } }",
        {"ids": [w.label_id]},
    ),
    "deleteLabels": lambda w: ("mutation($ids: [ID!]!) { m: deleteLabels(ids: $ids) }", {"ids": [w.label_id]}),
    "appendToLabels": lambda w: (
        'mutation($a: ID!) { m: appendToLabels(data: {authorID: "", jsonResponse: "{}", labelType: DEFAULT}, '
        "where: {id: $a}) { id } }",
        {"a": w.asset_id},
    ),
    "createIssues": lambda w: (
        'mutation($a: ID!, $p: ID!) { m: createIssues(issues: [{assetId: $a, type: QUESTION, text: "?"}], '
        "where: {project: {id: $p}}) { id } }",
        {"a": w.asset_id, "p": w.project_id},
    ),
    "updatePropertiesInIssue": lambda w: (
        "mutation($i: ID!) { m: updatePropertiesInIssue(data: {status: SOLVED}, where: {id: $i}) { id } }",
        {"i": w.issue_id},
    ),
    "appendSessionEvents": lambda w: (
        "mutation($s: ID!) { m: appendSessionEvents(sessionId: $s, "
        'events: [{eventType: POINT, startTime: "2025-01-01"}]) { id } }',
        {"s": w.session_id},
    ),
    "addSessionComments": lambda w: (
        'mutation($s: ID!) { m: addSessionComments(sessionId: $s, comments: ["c"], startTime: "2025-01-01", '
        'endTime: "2025-01-02") { id } }',
        {"s": w.session_id},
    ),
    "deleteSessionEvents": lambda w: (
        "mutation($s: ID!) { m: deleteSessionEvents(where: {sessionIdIn: [$s]}) }",
        {"s": w.session_id},
    ),
    "createSession": lambda w: (
        'mutation($p: ID!) { m: createSession(data: {projectId: $p, name: "drive"}) { id } }',
        {"p": w.project_id},
    ),
    "updateSession": lambda w: (
        'mutation($s: ID!) { m: updateSession(id: $s, data: {status: "processed"}) { id } }',
        {"s": w.session_id},
    ),
    "extendSessionTimeSpan": lambda w: (
        'mutation($s: ID!) { m: extendSessionTimeSpan(id: $s, timestamps: ["2026-01-03T00:00:00Z"]) { id } }',
        {"s": w.session_id},
    ),
    "sliceSession": lambda w: (
        'mutation($s: ID!) { m: sliceSession(id: $s, startTime: "2026-01-01T06:00:00Z", '
        'endTime: "2026-01-01T07:00:00Z") { id } }',
        {"s": w.session_id},
    ),
    "deleteSession": lambda w: (
        "mutation($s: ID!) { m: deleteSession(id: $s, deleteAssets: false) { succeeded { assetId } } }",
        {"s": w.session_id},
    ),
}
_SET_WHERE = (
    "mutation($s: ID!, $ids: [ID!]!) {{ m: {field}(setId: $s, where: {{idIn: $ids}}) {{ succeeded {{ assetId }} }} }}"
)
_SET_ID = "mutation($s: ID!) {{ m: {field}(id: $s) {{ id }} }}"
CALLS.update(
    {
        "createSet": lambda w: (
            'mutation($p: ID!) { m: createSet(data: {projectId: $p, name: "new"}) { id } }',
            {"p": w.project_id},
        ),
        "updateSet": lambda w: (
            'mutation($s: ID!) { m: updateSet(id: $s, data: {description: "d"}) { id } }',
            {"s": w.set_id},
        ),
        "addAssetsToSet": lambda w: (_SET_WHERE.format(field="addAssetsToSet"), {"s": w.set_id, "ids": [w.asset_id]}),
        "removeAssetsFromSet": lambda w: (
            _SET_WHERE.format(field="removeAssetsFromSet"),
            {"s": w.set_id, "ids": [w.asset_id]},
        ),
        "lockSet": lambda w: (_SET_ID.format(field="lockSet"), {"s": w.set_id}),
        "unlockSet": lambda w: (_SET_ID.format(field="unlockSet"), {"s": w.set_id}),
        "splitSet": lambda w: ("mutation($s: ID!) { m: splitSet(id: $s, sections: 2) { id } }", {"s": w.set_id}),
        "deleteSet": lambda w: (
            "mutation($s: ID!) { m: deleteSet(id: $s, deleteContent: true) { succeeded { assetId } } }",
            {"s": w.set_id},
        ),
    }
)
# Curation in bulk (updateAssetsMetadata, tags, removeMetadataKey).
_TAGS = 'mutation($ids: [ID!]!) {{ m: {field}(where: {{idIn: $ids}}, tags: ["t"]) {{ succeeded {{ assetId }} }} }}'
CALLS.update(
    {
        "updateAssetsMetadata": lambda w: (
            "mutation($ids: [ID!]!) { m: updateAssetsMetadata(where: {idIn: $ids}, set: {k: 1}) "
            "{ succeeded { assetId } } }",
            {"ids": [w.asset_id]},
        ),
        "addTagsToAssets": lambda w: (_TAGS.format(field="addTagsToAssets"), {"ids": [w.asset_id]}),
        "removeTagsFromAssets": lambda w: (_TAGS.format(field="removeTagsFromAssets"), {"ids": [w.asset_id]}),
        "removeMetadataKey": lambda w: (
            'mutation($p: ID!) { m: removeMetadataKey(projectId: $p, key: "k") }',
            {"p": w.project_id},
        ),
    }
)
# Allowed, but refused for another reason by design (labelgate runs the V1 workflow only).
ALLOWED_ANSWER = {"setAssetConsensus": "BAD_USER_INPUT"}

# The rules above a mutation's minimum role, probed the same way: (name, role it takes, call).
EXTRA_RULES: list[tuple[str, Role, Callable[[World], Call]]] = [
    (
        "addProjectMember as ADMIN",
        GRANT_ADMIN,
        lambda w: (
            _MEMBER.replace("{field}", "addProjectMember"),
            {"data": {"projectID": w.project_id, "user": w.user_ids["OUTSIDER"], "role": "ADMIN"}},
        ),
    ),
    (
        "appendManyLabels REVIEW",
        REVIEW_LABELS,
        lambda w: (CALLS["appendManyLabels"](w)[0], {"d": _label_data(w, "REVIEW"), "ids": [w.asset_id]}),
    ),
    (
        "appendManyLabels on behalf of the LABELER",
        LABEL_ON_BEHALF,
        lambda w: (CALLS["appendManyLabels"](w)[0], {"d": _label_data(w, author="LABELER"), "ids": [w.asset_id]}),
    ),
    (
        "createIssues ISSUE",
        RAISE_ISSUE,
        lambda w: (CALLS["createIssues"](w)[0].replace("QUESTION", "ISSUE"), CALLS["createIssues"](w)[1]),
    ),
]


def _below(role: Role) -> str:
    """The user one role below `role`: for LABELER, a user of the organization who is no member."""
    return "OUTSIDER" if role == Role.LABELER else Role(role - 1).name


def _codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def _probe(api, seeder: Seeder, role: Role, call: Callable[[World], Call], allowed_answer: str | None) -> None:
    world = await _world(seeder)
    document, variables = call(world)
    below = _below(role)
    refused = await api.raw(document, variables, key=world.keys[below])
    # Below LABELER the project is invisible: NOT_FOUND, as for any project one may not see.
    assert _codes(refused) == ["FORBIDDEN" if role > Role.LABELER else "NOT_FOUND"], (below, refused)
    allowed = await api.raw(document, variables, key=world.keys[role.name])
    assert _codes(allowed) == ([allowed_answer] if allowed_answer else []), (role.name, allowed)


@pytest.mark.parametrize("mutation", sorted(CALLS))
async def test_one_role_below_the_table_is_refused_and_the_table_role_is_let_through(api, seeder, mutation) -> None:
    role = MUTATION_ROLES[mutation].role
    assert role is not None
    await _probe(api, seeder, role, CALLS[mutation], ALLOWED_ANSWER.get(mutation))


@pytest.mark.parametrize("rule", [r[0] for r in EXTRA_RULES])
async def test_the_rules_above_the_minimum_hold_at_the_role_they_name(api, seeder, rule) -> None:
    _, role, call = next(r for r in EXTRA_RULES if r[0] == rule)
    await _probe(api, seeder, role, call, None)


async def test_create_project_needs_no_project_role(api, seeder) -> None:
    world = await _world(seeder)
    body = await api.raw(
        'mutation { m: createProject(data: {title: "mine", inputType: IMAGE}) { id } }', key=world.keys["OUTSIDER"]
    )
    assert _codes(body) == [] and body["data"]["m"]["id"]


def test_every_mutation_with_a_role_is_probed() -> None:
    assert set(CALLS) == {name for name, needs in MUTATION_ROLES.items() if needs.role is not None}
