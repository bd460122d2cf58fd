"""Project roles and what they allow.

LABELER < REVIEWER < TEAM_MANAGER < ADMIN, each allowing what the ones below allow:
- LABELER reads the project, appends labels (not REVIEW labels) on its assets, skips or unskips them
  and asks questions (issues of type QUESTION);
- REVIEWER also appends REVIEW labels, adds assets to review and sends them back to the queue, raises
  issues (type ISSUE) and changes the status of issues and questions;
- TEAM_MANAGER also appends, updates, assigns, prioritizes and deletes assets, uploads files, labels
  on behalf of others, and manages the project: its settings, archiving, and members below ADMIN;
- ADMIN also grants the ADMIN role, and changes or removes ADMIN members.
Organization admins hold ADMIN on every project of their organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from sqlalchemy import select

from gateway.context import RequestContext
from gateway.db.models import Project, ProjectMember
from gateway.errors import Forbidden, NotFound
from resolvers.arrays import any_id


class Role(IntEnum):
    LABELER = 1
    REVIEWER = 2
    TEAM_MANAGER = 3
    ADMIN = 4


async def roles_in(ctx: RequestContext, project_ids: Iterable[str]) -> dict[str, Role]:
    """The viewer's role in each of these projects they may see (projects they may not see are left out).
    One statement."""
    ids = list(set(project_ids))
    if not ids:
        return {}
    viewer = ctx.viewer
    rows = (
        await ctx.execute(
            select(Project.id, Project.organization_id, ProjectMember.role)
            .outerjoin(
                ProjectMember, (ProjectMember.project_id == Project.id) & (ProjectMember.user_id == viewer.user_id)
            )
            .where(any_id(Project.id, ids))
        )
    ).all()
    roles: dict[str, Role] = {}
    for project_id, organization_id, member_role in rows:
        if viewer.is_org_admin and organization_id == viewer.organization_id:
            roles[project_id] = Role.ADMIN
        elif member_role is not None:
            roles[project_id] = Role[member_role]
    return roles


async def require_role(ctx: RequestContext, project_ids: Iterable[str], minimum: Role, action: str) -> dict[str, Role]:
    """The viewer's roles, after checking they hold at least `minimum` in every project.

    An unknown or invisible project is NOT_FOUND; a visible one with too low a role is FORBIDDEN.
    `action` completes the message: "You may not <action> in project X (role LABELER; needs ...)"."""
    ids = list(dict.fromkeys(project_ids))
    roles = await roles_in(ctx, ids)
    for project_id in ids:
        role = roles.get(project_id)
        if role is None:
            raise NotFound(f"No project with id '{project_id}'.")
        if role < minimum:
            raise Forbidden(
                f"You may not {action} in project '{project_id}': your role is {role.name}, "
                f"it takes {minimum.name} or above."
            )
    return roles
