"""Creating, updating and archiving projects; managing their members."""

from __future__ import annotations

import asyncio

import pytest

from gateway.context import RequestContext
from gateway.errors import Locked, Unauthenticated
from resolvers.archive import require_writable
from tests.factories import unique

CREATE = """mutation($data: CreateProjectData!) {
  data: createProject(data: $data) { id title description inputType jsonInterface roles { role user { id } } } }"""


async def test_create_project_makes_the_creator_its_admin(api, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    data = {"title": "Cars", "description": "d", "inputType": "TEXT", "jsonInterface": '{"jobs": {}}'}
    project = (await api.data(CREATE, {"data": data}, key=key))["data"]
    assert project["title"] == "Cars" and project["inputType"] == "TEXT"
    assert project["jsonInterface"] == '{"jobs": {}}'
    assert project["roles"] == [{"role": "ADMIN", "user": {"id": user.id}}]
    count = "query($id: ID!) { countProjects(where: {id: $id}) }"
    assert (await api.data(count, {"id": project["id"]}, key=key))["countProjects"] == 1
    # What the SDK sends when no interface is given.
    none = (await api.data(CREATE, {"data": {"title": "t", "jsonInterface": "null"}}, key=key))["data"]
    assert none["jsonInterface"] is None and none["inputType"] == "IMAGE"


async def test_bad_project_input_writes_nothing(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    for data in [{"title": "x", "jsonInterface": "{not json"}, {"title": "x", "jsonInterface": "[1]"}, {"title": " "}]:
        error = await api.error(CREATE, {"data": data}, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert (await api.data("{ countProjects(where: {}) }", key=key))["countProjects"] == 0


# --- Updating, archiving, members -------------------------------------------------------------

PROJECT = """query($id: ID!) { data: projects(where: {id: $id}, first: 1, skip: 0) {
  id title description jsonInterface instructions tags starred archived updatedAt
  roles { role user { id email } } } }"""
UPDATE = """mutation($id: ID!, $data: UpdateProjectData!) {
  data: updateProject(id: $id, data: $data) { id title description jsonInterface instructions tags starred archived
  updatedAt } }"""
ARCHIVE = "mutation($id: ID!) { data: archiveProject(id: $id) { id archived updatedAt } }"
UNARCHIVE = "mutation($id: ID!) { data: unarchiveProject(id: $id) { id archived updatedAt } }"
ADD = """mutation($data: ProjectMemberData!) { data: addProjectMember(data: $data) { id role user { id email } } }"""
SET_ROLE = """mutation($data: ProjectMemberData!) {
  data: updateProjectMemberRole(data: $data) { id role user { id email } } }"""
REMOVE = """mutation($projectID: ID!, $user: String!) {
  data: removeProjectMember(projectID: $projectID, user: $user) { id role user { id email } } }"""
VISIBLE = """query($id: ID!) { list: projects(where: {id: $id}, first: 10, skip: 0) { id }
  count: countProjects(where: {id: $id}) }"""


async def _project(api, key: str, project_id: str) -> dict:
    rows = (await api.data(PROJECT, {"id": project_id}, key=key))["data"]
    assert len(rows) == 1
    return rows[0]


def _roles(project: dict) -> dict[str, str]:
    return {r["user"]["id"]: r["role"] for r in project["roles"]}


async def test_update_project_writes_the_given_fields_only(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org)
    project = await seeder.project(
        org, members={admin.id: "ADMIN"}, description="keep me", instructions="old", tags=["a"], json_interface={}
    )
    before = await _project(api, key, project.id)
    data = {"title": "Renamed", "jsonInterface": '{"jobs": {"J": {}}}', "tags": ["x", "y"], "starred": True}
    after = (await api.data(UPDATE, {"id": project.id, "data": data}, key=key))["data"]
    assert after["title"] == "Renamed" and after["tags"] == ["x", "y"] and after["starred"] is True
    assert after["jsonInterface"] == '{"jobs": {"J": {}}}'
    assert after["description"] == "keep me" and after["instructions"] == "old" and after["archived"] is False
    assert after["updatedAt"] > before["updatedAt"]
    assert await _project(api, key, project.id) == {**after, "roles": before["roles"]}

    # Values equal to the current ones (or no field at all) change nothing, not even updatedAt.
    same = (await api.data(UPDATE, {"id": project.id, "data": {"title": "Renamed"}}, key=key))["data"]
    assert same == after
    assert (await api.data(UPDATE, {"id": project.id, "data": {}}, key=key))["data"] == after

    # "null" clears the ontology, as createProject reads it; "" clears the description.
    cleared = await api.data(UPDATE, {"id": project.id, "data": {"jsonInterface": "null", "description": ""}}, key=key)
    assert cleared["data"]["jsonInterface"] is None and cleared["data"]["description"] == ""


async def test_bad_project_updates_are_refused_and_write_nothing(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org)
    project = await seeder.project(org, members={admin.id: "ADMIN"}, title="Keep")
    before = await _project(api, key, project.id)
    for data in [{"title": "  "}, {"title": "new", "jsonInterface": "{oops"}, {"title": "new", "jsonInterface": '"s"'}]:
        error = await api.error(UPDATE, {"id": project.id, "data": data}, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    error = await api.error(UPDATE, {"id": "no-such-project", "data": {"title": "x"}}, key=key)
    assert error["extensions"]["code"] == "NOT_FOUND" and "no-such-project" in error["message"]
    assert await _project(api, key, project.id) == before


async def test_only_project_admins_and_organization_admins_manage_a_project(api, seeder) -> None:
    org = await seeder.organization()
    owner, owner_key = await seeder.user(org)
    org_admin, org_admin_key = await seeder.user(org, admin=True)
    outsider, _ = await seeder.user(org)
    members = {owner.id: "ADMIN"}
    keys = {}
    for role in ["LABELER", "REVIEWER", "TEAM_MANAGER"]:
        user, keys[role] = await seeder.user(org)
        members[user.id] = role
    project = await seeder.project(org, members=members, title="Keep")
    other_org = await seeder.organization()
    _, stranger_key = await seeder.user(other_org, admin=True)
    attempts = [
        (UPDATE, {"id": project.id, "data": {"title": "Taken"}}),
        (ARCHIVE, {"id": project.id}),
        (UNARCHIVE, {"id": project.id}),
        (ADD, {"data": {"projectID": project.id, "user": outsider.id, "role": "ADMIN"}}),
        (SET_ROLE, {"data": {"projectID": project.id, "user": owner.id, "role": "LABELER"}}),
        (REMOVE, {"projectID": project.id, "user": owner.email}),
    ]
    before = await _project(api, owner_key, project.id)
    for role, key in keys.items():
        # A TEAM_MANAGER manages the project, but never the ADMIN role (the last three attempts).
        for query, variables in attempts[3:] if role == "TEAM_MANAGER" else attempts:
            error = await api.error(query, variables, key=key)
            assert error["extensions"]["code"] == "FORBIDDEN", (role, query, error)
            assert project.id in error["message"] and role in error["message"]
    # An admin of another organization does not even learn the project exists.
    for query, variables in attempts:
        error = await api.error(query, variables, key=stranger_key)
        assert error["extensions"]["code"] == "NOT_FOUND", (query, error)
    assert await _project(api, owner_key, project.id) == before

    # An organization admin manages every project of the organization without being a member.
    assert org_admin.id not in _roles(before)
    renamed = await api.data(UPDATE, {"id": project.id, "data": {"title": "By org admin"}}, key=org_admin_key)
    assert renamed["data"]["title"] == "By org admin"
    added = await api.data(
        ADD, {"data": {"projectID": project.id, "user": outsider.id, "role": "REVIEWER"}}, key=org_admin_key
    )
    assert added["data"]["role"] == "REVIEWER" and added["data"]["user"]["id"] == outsider.id


async def test_membership_changes_decide_who_sees_the_project(api, seeder) -> None:
    org = await seeder.organization()
    admin, admin_key = await seeder.user(org)
    user, user_key = await seeder.user(org, email=f"{unique('Mixed.Case')}@Example.com")
    project = await seeder.project(org, members={admin.id: "ADMIN"})
    asset = await seeder.asset(project)
    assert await api.data(VISIBLE, {"id": project.id}, key=user_key) == {"list": [], "count": 0}

    # By email, whatever its case.
    added = (
        await api.data(
            ADD, {"data": {"projectID": project.id, "user": user.email.upper(), "role": "LABELER"}}, key=admin_key
        )
    )["data"]
    assert added["role"] == "LABELER" and added["user"] == {"id": user.id, "email": user.email}
    assert await api.data(VISIBLE, {"id": project.id}, key=user_key) == {"list": [{"id": project.id}], "count": 1}
    assert _roles(await _project(api, user_key, project.id)) == {admin.id: "ADMIN", user.id: "LABELER"}

    # A LABELER member may not manage; once made ADMIN they may.
    assert (await api.error(UPDATE, {"id": project.id, "data": {"starred": True}}, key=user_key))["extensions"][
        "code"
    ] == "FORBIDDEN"
    promoted = (
        await api.data(SET_ROLE, {"data": {"projectID": project.id, "user": user.id, "role": "ADMIN"}}, key=admin_key)
    )["data"]
    assert promoted == {**added, "role": "ADMIN"}
    assert (await api.data(UPDATE, {"id": project.id, "data": {"starred": True}}, key=user_key))["data"][
        "starred"
    ] is True

    # Removal answers the removed membership, unassigns the user from the project's assets, hides the project.
    await seeder.assign(asset, user, admin)
    removed = (await api.data(REMOVE, {"projectID": project.id, "user": user.id}, key=admin_key))["data"]
    assert removed == promoted
    assert await api.data(VISIBLE, {"id": project.id}, key=user_key) == {"list": [], "count": 0}
    assert _roles(await _project(api, admin_key, project.id)) == {admin.id: "ADMIN"}
    assignees = """query($id: ID!) { assets(where: {id: $id}, first: 1, skip: 0) { toBeLabeledBy { id } } }"""
    assert (await api.data(assignees, {"id": asset.id}, key=admin_key))["assets"][0]["toBeLabeledBy"] == [
        {"id": admin.id}
    ]


async def test_member_mistakes_are_refused_and_write_nothing(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org)
    labeler, _ = await seeder.user(org)
    outsider, _ = await seeder.user(org)
    foreigner, _ = await seeder.user(await seeder.organization())
    project = await seeder.project(org, members={admin.id: "ADMIN", labeler.id: "LABELER"})
    before = await _project(api, key, project.id)
    cases = [
        (ADD, {"data": {"projectID": project.id, "user": foreigner.id, "role": "LABELER"}}, "NOT_FOUND", foreigner.id),
        (
            ADD,
            {"data": {"projectID": project.id, "user": foreigner.email, "role": "LABELER"}},
            "NOT_FOUND",
            foreigner.email,
        ),
        (
            ADD,
            {"data": {"projectID": project.id, "user": "nobody@example.com", "role": "LABELER"}},
            "NOT_FOUND",
            "nobody@",
        ),
        (ADD, {"data": {"projectID": project.id, "user": labeler.email, "role": "ADMIN"}}, "CONFLICT", labeler.email),
        (SET_ROLE, {"data": {"projectID": project.id, "user": outsider.id, "role": "ADMIN"}}, "NOT_FOUND", outsider.id),
        (
            SET_ROLE,
            {"data": {"projectID": project.id, "user": foreigner.id, "role": "ADMIN"}},
            "NOT_FOUND",
            foreigner.id,
        ),
        (REMOVE, {"projectID": project.id, "user": outsider.email}, "NOT_FOUND", outsider.email),
        (REMOVE, {"projectID": "no-such-project", "user": labeler.id}, "NOT_FOUND", "no-such-project"),
    ]
    for query, variables, code, named in cases:
        error = await api.error(query, variables, key=key)
        assert error["extensions"]["code"] == code, (variables, error)
        assert named in error["message"], error
    assert await _project(api, key, project.id) == before


async def test_a_project_keeps_an_admin_member(api, seeder) -> None:
    org = await seeder.organization()
    creator, creator_key = await seeder.user(org)
    second, second_key = await seeder.user(org)
    _, org_admin_key = await seeder.user(org, admin=True)
    project = (await api.data(CREATE, {"data": {"title": "Guarded"}}, key=creator_key))["data"]
    pid = project["id"]
    for key in (creator_key, org_admin_key):
        for query, variables in [
            (SET_ROLE, {"data": {"projectID": pid, "user": creator.id, "role": "TEAM_MANAGER"}}),
            (REMOVE, {"projectID": pid, "user": creator.email}),
        ]:
            error = await api.error(query, variables, key=key)
            assert error["extensions"]["code"] == "CONFLICT", error
            named = variables.get("user") or variables["data"]["user"]
            assert "last ADMIN" in error["message"] and named in error["message"]
    assert _roles(await _project(api, creator_key, pid)) == {creator.id: "ADMIN"}
    # Re-granting ADMIN to the last ADMIN is no demotion.
    same = await api.data(SET_ROLE, {"data": {"projectID": pid, "user": creator.id, "role": "ADMIN"}}, key=creator_key)
    assert same["data"]["role"] == "ADMIN"

    # With a second ADMIN, the creator may step down, and then the second one is the last.
    await api.data(ADD, {"data": {"projectID": pid, "user": second.id, "role": "ADMIN"}}, key=creator_key)
    await api.data(REMOVE, {"projectID": pid, "user": creator.id}, key=creator_key)
    assert await api.data(VISIBLE, {"id": pid}, key=creator_key) == {"list": [], "count": 0}
    error = await api.error(
        SET_ROLE, {"data": {"projectID": pid, "user": second.id, "role": "LABELER"}}, key=second_key
    )
    assert error["extensions"]["code"] == "CONFLICT"
    assert _roles(await _project(api, second_key, pid)) == {second.id: "ADMIN"}


async def test_concurrent_demotions_leave_an_admin(api, seeder) -> None:
    """Two ADMINs demoting each other at once: the project row lock lets exactly one through."""
    org = await seeder.organization()
    first, first_key = await seeder.user(org)
    second, second_key = await seeder.user(org)
    for _ in range(5):
        project = await seeder.project(org, members={first.id: "ADMIN", second.id: "ADMIN"})
        bodies = await asyncio.gather(
            api.raw(SET_ROLE, {"data": {"projectID": project.id, "user": second.id, "role": "LABELER"}}, key=first_key),
            api.raw(SET_ROLE, {"data": {"projectID": project.id, "user": first.id, "role": "LABELER"}}, key=second_key),
        )
        outcomes = sorted("errors" in body for body in bodies)
        assert outcomes == [False, True], bodies
        failed = next(body for body in bodies if "errors" in body)
        assert failed["errors"][0]["extensions"]["code"] in {"CONFLICT", "FORBIDDEN"}, failed
        project_roles = sorted(
            _roles(await _project(api, first_key if "errors" in bodies[1] else second_key, project.id)).values()
        )
        assert project_roles == ["ADMIN", "LABELER"]


async def test_archiving_marks_the_project_and_counts_agree(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org)
    project = await seeder.project(org, members={admin.id: "ADMIN"})
    kept = await seeder.project(org, members={admin.id: "ADMIN"})
    archived_count = "{ yes: countProjects(where: {archived: true}) no: countProjects(where: {archived: false}) }"
    assert await api.data(archived_count, key=key) == {"yes": 0, "no": 2}

    archived = (await api.data(ARCHIVE, {"id": project.id}, key=key))["data"]
    assert archived["archived"] is True
    assert (await _project(api, key, project.id))["archived"] is True
    assert await api.data(archived_count, key=key) == {"yes": 1, "no": 1}
    listed = "{ projects(where: {archived: true}, first: 10, skip: 0) { id archived } }"
    assert (await api.data(listed, key=key))["projects"] == [{"id": project.id, "archived": True}]
    # Archiving again changes nothing; an archived project's settings stay manageable.
    assert (await api.data(ARCHIVE, {"id": project.id}, key=key))["data"] == archived
    assert (await api.data(UPDATE, {"id": project.id, "data": {"title": "Old"}}, key=key))["data"]["archived"] is True

    restored = (await api.data(UNARCHIVE, {"id": project.id}, key=key))["data"]
    assert restored["archived"] is False and restored["updatedAt"] > archived["updatedAt"]
    assert await api.data(archived_count, key=key) == {"yes": 0, "no": 2}
    # updateProject archives too.
    await api.data(UPDATE, {"id": kept.id, "data": {"archived": True}}, key=key)
    assert await api.data(archived_count, key=key) == {"yes": 1, "no": 1}


async def test_require_writable_refuses_archived_projects_and_holds_off_archiving(app, api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org)
    open_project = await seeder.project(org, members={admin.id: "ADMIN"})
    archived = await seeder.project(org, members={admin.id: "ADMIN"}, archived=True)
    services = app.state.services

    def context() -> RequestContext:
        return RequestContext(
            request=None,
            db=services.session_factory(),
            storage=services.storage,
            settings=services.settings,
            request_id="test",
            auth=Unauthenticated("not needed"),
        )

    ctx = context()
    try:
        await require_writable(ctx, [])
        await require_writable(ctx, [open_project.id, "unknown-id"])
        with pytest.raises(Locked) as refused:
            await require_writable(ctx, [open_project.id, archived.id])
        assert refused.value.code.value == "LOCKED" and archived.id in refused.value.message
    finally:
        await ctx.close()

    # A write in flight holds its projects: an archive waits for it to end.
    ctx = context()
    try:
        await require_writable(ctx, [open_project.id])
        archiving = asyncio.create_task(api.data(ARCHIVE, {"id": open_project.id}, key=key))
        await asyncio.sleep(0.5)
        assert not archiving.done()
        await ctx.db.commit()
        assert (await asyncio.wait_for(archiving, 10))["data"]["archived"] is True
    finally:
        await ctx.close()
    ctx = context()
    try:
        with pytest.raises(Locked):
            await require_writable(ctx, [open_project.id])
    finally:
        await ctx.close()


async def test_team_managers_manage_the_project_below_admin(api, seeder) -> None:
    org = await seeder.organization()
    owner, owner_key = await seeder.user(org)
    manager, manager_key = await seeder.user(org)
    newcomer, _ = await seeder.user(org)
    project = await seeder.project(org, members={owner.id: "ADMIN", manager.id: "TEAM_MANAGER"})
    await api.data(UPDATE, {"id": project.id, "data": {"title": "Renamed"}}, key=manager_key)
    await api.data(ARCHIVE, {"id": project.id}, key=manager_key)
    await api.data(UNARCHIVE, {"id": project.id}, key=manager_key)
    await api.data(ADD, {"data": {"projectID": project.id, "user": newcomer.email, "role": "LABELER"}}, key=manager_key)
    await api.data(
        SET_ROLE, {"data": {"projectID": project.id, "user": newcomer.id, "role": "REVIEWER"}}, key=manager_key
    )
    # Raising oneself to ADMIN is refused too.
    error = await api.error(
        SET_ROLE, {"data": {"projectID": project.id, "user": manager.id, "role": "ADMIN"}}, key=manager_key
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    after = await _project(api, owner_key, project.id)
    assert after["title"] == "Renamed"
    assert _roles(after) == {owner.id: "ADMIN", manager.id: "TEAM_MANAGER", newcomer.id: "REVIEWER"}
