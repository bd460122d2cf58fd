"""Creating and changing projects and their members.

Every change to an existing project runs in one transaction that first locks the project row
(FOR UPDATE), then checks the viewer manages it (the role resolvers.roles.MUTATION_ROLES gives):
changes to one project are serialized, so two concurrent demotions cannot both see "another ADMIN is
left" and leave none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select

from gateway.context import RequestContext
from gateway.db.models import Asset, AssetAssignee, Project, ProjectMember, User, utcnow
from gateway.errors import BadUserInput, Conflict, Forbidden, NotFound
from resolvers.json_strings import parse_json_object
from resolvers.roles import GRANT_ADMIN, Role, minimum_role, require_role
from resolvers.transactions import write_transaction
from resolvers.visibility import project_visible
from schema.inputs.data import CreateProjectData, ProjectMemberData, UpdateProjectData

MANAGE = "manage the project"


def parse_json_interface(value: str | None) -> dict[str, Any] | None:
    """The ontology: a JSON object string; `"null"` (what the SDK sends for none) or nothing is None."""
    return parse_json_object(value, "jsonInterface", null_ok=True)


async def create_project(ctx: RequestContext, data: CreateProjectData) -> Project:
    """Any user may create a project in their organization; they become its ADMIN member."""
    viewer = ctx.viewer
    if not data.title.strip():
        raise BadUserInput("title must not be empty.")
    if data.from_demo_project is not None:
        raise BadUserInput("fromDemoProject is not supported: labelgate has no demo projects.")
    now = utcnow()
    project = Project(
        organization_id=viewer.organization_id,
        title=data.title,
        description=data.description or "",
        input_type=(data.input_type.value if data.input_type else "IMAGE"),
        json_interface=parse_json_interface(data.json_interface),
        instructions=data.instructions,
        tags=list(data.tags or []),
        created_at=now,
        updated_at=now,
    )
    async with write_transaction(ctx), ctx.db_lock:
        ctx.db.add(project)
        await ctx.db.flush()
        ctx.db.add(ProjectMember(project_id=project.id, user_id=viewer.user_id, role=Role.ADMIN.name))
        await ctx.db.flush()
    return project


def _project_changes(data: UpdateProjectData) -> dict[str, Any]:
    """The columns `data` sets (fields left out or null stay as they are), validated."""
    if data.title is not None and not data.title.strip():
        raise BadUserInput("title must not be empty.")
    changes: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "instructions": data.instructions,
        "tags": list(data.tags) if data.tags is not None else None,
        "starred": data.starred,
        "archived": data.archived,
    }
    changes = {column: value for column, value in changes.items() if value is not None}
    if data.json_interface is not None:
        changes["json_interface"] = parse_json_interface(data.json_interface)
    return changes


async def _lock_managed_project(ctx: RequestContext, project_id: str, mutation: str) -> tuple[Project, Role]:
    """The project, locked until the transaction ends, and the viewer's role, once the viewer is known
    to hold the role `mutation` needs (TEAM_MANAGER). NOT_FOUND when the viewer may not see it,
    FORBIDDEN below."""
    locked = await ctx.scalars(
        select(Project)
        .where(Project.id == project_id, project_visible(Project.id, ctx.viewer))
        .with_for_update(of=Project)
        .execution_options(populate_existing=True)
    )
    if not locked:
        raise NotFound(f"No project with id '{project_id}'.")
    roles = await require_role(ctx, [project_id], minimum_role(mutation), MANAGE)
    return locked[0], roles[project_id]


def _require_admin_for_admins(role: Role, project_id: str, *roles_touched: str) -> None:
    """Only an ADMIN may grant the ADMIN role, or change or remove an ADMIN member: a TEAM_MANAGER
    manages the project but cannot raise anybody (themselves included) above their own role."""
    if role < GRANT_ADMIN and Role.ADMIN.name in roles_touched:
        raise Forbidden(
            f"You may not grant, change or remove the ADMIN role in project '{project_id}': your role is "
            f"{role.name}, it takes {GRANT_ADMIN.name}."
        )


async def update_project(
    ctx: RequestContext, project_id: str, data: UpdateProjectData, mutation: str = "updateProject"
) -> Project:
    """Writes the fields given; `updated_at` moves only when a value actually changes."""
    changes = _project_changes(data)
    async with write_transaction(ctx):
        project, _ = await _lock_managed_project(ctx, project_id, mutation)
        changed = {column: value for column, value in changes.items() if getattr(project, column) != value}
        if changed:
            async with ctx.db_lock:
                for column, value in changed.items():
                    setattr(project, column, value)
                project.updated_at = utcnow()
                await ctx.db.flush()
    return project


async def set_archived(ctx: RequestContext, project_id: str, archived: bool) -> Project:
    """Archives or restores a project (idempotent). See resolvers.archive for what archiving locks."""
    mutation = "archiveProject" if archived else "unarchiveProject"
    return await update_project(ctx, project_id, UpdateProjectData(archived=archived), mutation)


async def _org_user(ctx: RequestContext, project: Project, user: str) -> User:
    """A user of the project's organization, by id or email (case-insensitive)."""
    found = await ctx.scalars(
        select(User).where(
            User.organization_id == project.organization_id,
            or_(User.id == user, func.lower(User.email) == user.lower()),
        )
    )
    if not found:
        raise NotFound(f"No user '{user}' in the organization of project '{project.id}'.")
    return found[0]


async def _membership(ctx: RequestContext, project: Project, user: str) -> ProjectMember:
    """The membership of `user` (id or email) in the project."""
    found = await ctx.scalars(
        select(ProjectMember)
        .join(User, User.id == ProjectMember.user_id)
        .where(
            ProjectMember.project_id == project.id,
            or_(User.id == user, func.lower(User.email) == user.lower()),
        )
        .execution_options(populate_existing=True)
    )
    if not found:
        raise NotFound(f"User '{user}' is not a member of project '{project.id}'.")
    return found[0]


async def _keep_an_admin(ctx: RequestContext, member: ProjectMember, user: str, action: str) -> None:
    """CONFLICT when `member` is the project's last ADMIN member (the project row is locked, so
    the count cannot change under us)."""
    if member.role != Role.ADMIN.name:
        return
    other_admins = await ctx.scalar(
        select(func.count())
        .select_from(ProjectMember)
        .where(
            ProjectMember.project_id == member.project_id,
            ProjectMember.role == Role.ADMIN.name,
            ProjectMember.id != member.id,
        )
    )
    if other_admins == 0:
        raise Conflict(
            f"Cannot {action} user '{user}': they are the last ADMIN member of project '{member.project_id}'. "
            "Make another member ADMIN first."
        )


async def add_member(ctx: RequestContext, data: ProjectMemberData) -> ProjectMember:
    """Adds a user of the project's organization with a role; CONFLICT when already a member."""
    async with write_transaction(ctx):
        project, role = await _lock_managed_project(ctx, data.project_id, "addProjectMember")
        _require_admin_for_admins(role, project.id, data.role.value)
        user = await _org_user(ctx, project, data.user)
        existing = await ctx.scalars(
            select(ProjectMember.role).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
        )
        if existing:
            raise Conflict(
                f"User '{data.user}' is already a member of project '{project.id}' (role {existing[0]}): "
                "use updateProjectMemberRole to change their role."
            )
        member = ProjectMember(project_id=project.id, user_id=user.id, role=data.role.value)
        async with ctx.db_lock:
            ctx.db.add(member)
            await ctx.db.flush()
    return member


async def update_member_role(ctx: RequestContext, data: ProjectMemberData) -> ProjectMember:
    """Changes a member's role; demoting the last ADMIN member is a CONFLICT."""
    async with write_transaction(ctx):
        project, role = await _lock_managed_project(ctx, data.project_id, "updateProjectMemberRole")
        member = await _membership(ctx, project, data.user)
        _require_admin_for_admins(role, project.id, data.role.value, member.role)
        if member.role != data.role.value:
            if data.role.value != Role.ADMIN.name:
                await _keep_an_admin(ctx, member, data.user, f"make {data.role.value}")
            async with ctx.db_lock:
                member.role = data.role.value
                await ctx.db.flush()
    return member


async def remove_member(ctx: RequestContext, project_id: str, user: str) -> ProjectMember:
    """Removes a membership and returns it. Removing the last ADMIN member is a CONFLICT.

    Assignees are members: the user is also unassigned (`toBeLabeledBy`) from the project's assets.
    Their labels stay."""
    async with write_transaction(ctx):
        project, role = await _lock_managed_project(ctx, project_id, "removeProjectMember")
        member = await _membership(ctx, project, user)
        _require_admin_for_admins(role, project.id, member.role)
        await _keep_an_admin(ctx, member, user, "remove")
        await ctx.execute(
            delete(AssetAssignee).where(
                AssetAssignee.user_id == member.user_id,
                AssetAssignee.asset_id.in_(select(Asset.id).where(Asset.project_id == project.id)),
            )
        )
        async with ctx.db_lock:
            await ctx.db.delete(member)
            await ctx.db.flush()
    return member
