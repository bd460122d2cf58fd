"""Who may be assigned to a project's assets (Kili's `toBeLabeledBy`): the project's members and the
admins of its organization, named by user id or (case-insensitive) email.

Shared by `updatePropertiesInAssets` (`toBeLabeledBy`) and `assignAssets` (`userIds`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import and_, exists, func, or_, select

from gateway.context import RequestContext
from gateway.db.models import Project, ProjectMember, User
from gateway.errors import BadUserInput
from resolvers.arrays import any_id
from resolvers.asset_append import quoted

# project id → {reference (user id or lower-case email) → user id}
Assignable = dict[str, dict[str, str]]


async def assignable_users(
    ctx: RequestContext, references: Collection[str], project_ids: Collection[str]
) -> Assignable:
    """The users `references` name who may be assigned in each of these projects. One statement, none
    when nothing is named."""
    if not references or not project_ids:
        return {}
    member = exists().where(ProjectMember.project_id == Project.id, ProjectMember.user_id == User.id)
    rows = (
        await ctx.execute(
            select(User.id, User.email, Project.id)
            .join(Project, or_(and_(User.is_org_admin, User.organization_id == Project.organization_id), member))
            .where(
                any_id(Project.id, set(project_ids)),
                or_(any_id(User.id, set(references)), any_id(func.lower(User.email), {r.lower() for r in references})),
            )
        )
    ).all()
    allowed: Assignable = defaultdict(dict)
    for user_id, email, project_id in rows:
        allowed[project_id][user_id] = user_id
        allowed[project_id][email.lower()] = user_id
    return allowed


def resolve_assignees(allowed: Assignable, project_id: str, references: Collection[str], what: str) -> set[str]:
    """The ids of the users `references` name in the project. BAD_USER_INPUT naming those who are
    unknown or may not be assigned there; `what` names the argument ("userIds", "Pair 3: toBeLabeledBy")."""
    users = allowed.get(project_id, {})
    unknown = [r for r in references if r not in users and r.lower() not in users]
    if unknown:
        raise BadUserInput(
            f"{what} names users who are not members of project '{project_id}': {quoted(unknown)}.",
            details={"unknownUsers": unknown[:100]},
        )
    return {users.get(r) or users[r.lower()] for r in references}
