"""The one project a write names (`where: ProjectWhere`), checked for writing in one statement.

`writable_target` does what `target_project` + `require_role` + `require_writable` do one after the
other, in a single round trip: the project `where` names among those the viewer may see (visibility
from the same compiler as every list), the viewer's role there (their membership, joined) and its
`archived` flag, with the row locked FOR SHARE as `require_writable` locks it (an archive that commits
meanwhile waits for the write; see resolvers.archive). The errors and their order are theirs:
NOT_FOUND (no such visible project), BAD_USER_INPUT (`where` matches several), FORBIDDEN (role too
low), LOCKED (archived).

The usual `where` (`{id: ...}`) runs one statement built once per kind of viewer, with the ids as
bound parameters: building it per call cost more CPU than the statement costs PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, select

from gateway.auth import Viewer
from gateway.context import RequestContext
from gateway.db.models import Project, ProjectMember
from gateway.errors import BadUserInput, NotFound
from resolvers.archive import archived_error
from resolvers.filters.project_where import compile_project_where
from resolvers.roles import Role, check_role, role_of
from schema.inputs.where import ProjectWhere


@dataclass(frozen=True)
class TargetProject:
    id: str
    input_type: str


def _target(viewer: Viewer, where: ProjectWhere) -> Select:
    member = (ProjectMember.project_id == Project.id) & (ProjectMember.user_id == viewer.user_id)
    return (
        select(Project.id, Project.input_type, Project.organization_id, Project.archived, ProjectMember.role)
        .outerjoin(ProjectMember, member)
        .where(compile_project_where(where, viewer))
        .limit(2)
        .with_for_update(read=True, of=Project)
    )


@cache
def _target_by_id(is_org_admin: bool) -> Select:
    """`_target` for `where: {id}`, with the project id and the viewer's ids as bound parameters."""
    viewer = Viewer(
        user_id=bindparam("user_id"),  # type: ignore[arg-type]  (a parameter where the compiler puts a value)
        email="",
        organization_id=bindparam("organization_id"),  # type: ignore[arg-type]
        is_org_admin=is_org_admin,
        api_key_id="",
    )
    return _target(viewer, ProjectWhere(id=bindparam("project_id")))  # type: ignore[arg-type]


def _by_id_only(where: ProjectWhere) -> bool:
    """True when `where` names a project by id and says nothing else (what clients send)."""
    return where.id is not None and where == ProjectWhere(
        id=where.id, should_relaunch_kpi_computation=where.should_relaunch_kpi_computation
    )


async def writable_target(ctx: RequestContext, where: ProjectWhere, minimum: Role, action: str) -> TargetProject:
    """The one project `where` names, once the viewer is known to hold `minimum` there (or above) and
    it is not archived; its row stays locked FOR SHARE until the transaction ends. `action` completes
    the FORBIDDEN message ("You may not <action> in project ...")."""
    viewer = ctx.viewer
    if _by_id_only(where):
        params = {"project_id": where.id, "user_id": viewer.user_id, "organization_id": viewer.organization_id}
        async with ctx.db_lock:
            rows = (await ctx.db.execute(_target_by_id(viewer.is_org_admin), params)).all()
    else:
        rows = (await ctx.execute(_target(viewer, where))).all()
    if not rows:
        named = f" '{where.id}'" if where.id is not None else ""
        raise NotFound(f"No project{named} matches `where` among the projects you may see.")
    if len(rows) > 1:
        raise BadUserInput("`where` must name exactly one project (e.g. {id: ...}); it matches several.")
    project_id, input_type, organization_id, archived, member_role = rows[0]
    check_role(project_id, role_of(viewer, organization_id, member_role), minimum, action)
    if archived:
        raise archived_error(project_id)
    return TargetProject(id=project_id, input_type=input_type)
