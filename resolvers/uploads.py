"""Signed upload URLs (Kili's `createUploadBucketSignedUrls`): clients PUT asset bytes straight to
object storage, then append assets whose content is the signed URL (or the bare key)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.context import RequestContext
from gateway.db.models import Organization, Project
from gateway.errors import BadUserInput, Forbidden
from resolvers.archive import require_writable
from resolvers.arrays import any_id
from resolvers.content import project_of_key
from resolvers.roles import Role, roles_in

MAX_PATHS = 1000


async def create_upload_urls(ctx: RequestContext, file_paths: list[str] | None) -> list[str]:
    """One signed PUT URL per path, in order. Every path must be `projects/<projectId>/...` (no `..`)
    of a project where the viewer is TEAM_MANAGER or above, in an organization whose licence allows
    uploads; anything else is FORBIDDEN, naming the path."""
    paths = list(file_paths or [])
    if len(paths) > MAX_PATHS:
        raise BadUserInput(f"At most {MAX_PATHS} file paths per call, got {len(paths)}.")
    if not paths:
        return []
    project_of_path = {}
    for path in paths:
        project_id = project_of_key(path)
        if project_id is None:
            raise Forbidden(f"You may not upload to '{path}': upload paths look like projects/<projectId>/<name>.")
        project_of_path[path] = project_id
    project_ids = list(dict.fromkeys(project_of_path.values()))
    roles = await roles_in(ctx, project_ids)
    for path, project_id in project_of_path.items():
        role = roles.get(project_id)
        if role is None or role < Role.TEAM_MANAGER:
            held = f"your role there is {role.name}" if role else "you are not a member of it"
            raise Forbidden(
                f"You may not upload to '{path}': uploading to project '{project_id}' takes TEAM_MANAGER or "
                f"above ({held})."
            )
    unlicensed = await ctx.scalars(
        select(Project.id)
        .join(Organization, Organization.id == Project.organization_id)
        .where(any_id(Project.id, project_ids), Organization.upload_local_data.is_(False))
    )
    if unlicensed:
        path = next(p for p, project_id in project_of_path.items() if project_id in set(unlicensed))
        raise Forbidden(f"You may not upload to '{path}': the organization's licence does not allow uploads.")
    await require_writable(ctx, project_ids)
    return [ctx.storage.signed_put_url(path) for path in paths]
