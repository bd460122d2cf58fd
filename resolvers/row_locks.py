"""Locking one project-owned row (a set, a session) for a write: the first step of every mutation
that changes it, so that concurrent writers of the same row wait for each other instead of racing."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from gateway.context import RequestContext
from gateway.errors import NotFound
from resolvers.archive import require_writable
from resolvers.roles import Role, require_role
from resolvers.visibility import project_visible

Row = TypeVar("Row", bound=Any)


async def lock_for_write(ctx: RequestContext, model: type[Row], row_id: str, minimum: Role, action: str) -> Row:
    """The `model` row with this id (it has `id` and `project_id`), locked FOR UPDATE until the
    transaction ends, once the viewer holds `minimum` in its project and the project is not archived.
    NOT_FOUND when the viewer may not see it (the same answer as for an id that does not exist),
    FORBIDDEN below the role, LOCKED when the project is archived. One statement, then the checks'."""
    what = model.__tablename__.removeprefix("asset_").removeprefix("recording_")
    rows = await ctx.scalars(
        select(model)
        .where(model.id == row_id, project_visible(model.project_id, ctx.viewer))
        .with_for_update(of=model.__table__)
        .execution_options(populate_existing=True)
    )
    if not rows:
        raise NotFound(f"No {what} with id '{row_id}'.", details={"id": row_id})
    row = rows[0]
    await require_role(ctx, [row.project_id], minimum, action)
    await require_writable(ctx, [row.project_id])
    return row
