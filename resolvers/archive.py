"""Archived projects are read-only.

Archiving freezes a project's data: its assets, their labels, their workflow state and its uploads.
Every mutation that writes those calls `require_writable` (after `require_role`), which refuses with
LOCKED while the project is archived. The project itself stays manageable by its ADMINs: they may
still change its settings and members, and unarchive it (archiveProject/unarchiveProject, or
updateProject with `archived`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from gateway.context import RequestContext
from gateway.db.models import Project
from gateway.errors import Locked
from resolvers.arrays import any_id


async def require_writable(ctx: RequestContext, project_ids: Iterable[str]) -> None:
    """Refuses (LOCKED, naming the project) when any of these projects is archived. One statement.

    Call it inside the mutation's transaction, after `require_role`: it takes a FOR SHARE lock on the
    project rows, so an archive that commits while the mutation runs waits for the mutation to end,
    and a mutation that starts while an archive is in flight waits for it and then sees it. Do not
    UPDATE those project rows later in the same transaction (two writers holding FOR SHARE that both
    upgrade would deadlock). Unknown ids are ignored: visibility is `require_role`'s job.
    """
    ids = sorted(set(project_ids))
    if not ids:
        return
    # Every row is locked (not only archived ones), so an archive cannot slip in before commit.
    rows = (
        await ctx.execute(
            select(Project.id, Project.archived)
            .where(any_id(Project.id, ids))
            .order_by(Project.id)
            .with_for_update(read=True)
        )
    ).all()
    archived = [project_id for project_id, is_archived in rows if is_archived]
    if archived:
        raise archived_error(archived[0])


def archived_error(project_id: str) -> Locked:
    """The LOCKED error of a write to an archived project (`require_writable`'s, for checks that read
    `archived` in a statement of their own, e.g. `resolvers.write_target`)."""
    return Locked(f"Project '{project_id}' is archived: its assets and labels are read-only until it is unarchived.")
