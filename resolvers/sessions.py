"""Reading sessions (SceneBox sense): recordings with assets on a timeline (events: resolvers/session_events.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import FromClause, Select, func, select

from gateway.context import RequestContext
from gateway.db.models import Asset, Session
from gateway.errors import NotFound
from resolvers.filters.session_where import compile_session_where
from resolvers.paging import keyset_page, offset_page
from resolvers.per_parent import PageKey, load_pages
from resolvers.visibility import project_visible
from schema.inputs.where import SessionWhere


async def list_sessions(ctx: RequestContext, where: SessionWhere | None, first: int, skip: int) -> list[Session]:
    statement = select(Session).where(compile_session_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, Session.created_at, Session.id, first, skip))


async def page_sessions(
    ctx: RequestContext, where: SessionWhere | None, first: int, after: str | None
) -> list[Session]:
    statement = select(Session).where(compile_session_where(where, ctx.viewer))
    return await ctx.scalars(keyset_page(statement, Session.created_at, Session.id, first, after))


async def count_sessions(ctx: RequestContext, where: SessionWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Session).where(compile_session_where(where, ctx.viewer)))


async def get_session(ctx: RequestContext, session_id: str) -> Session:
    """The session with this id; NotFound when there is none or the viewer may not see it."""
    rows = await ctx.scalars(
        select(Session).where(Session.id == session_id, project_visible(Session.project_id, ctx.viewer))
    )
    if not rows:
        raise NotFound(f"No session with id '{session_id}'.", details={"id": session_id})
    return rows[0]


async def asset_pages_of_sessions(ctx: RequestContext, keys: Sequence[PageKey]) -> list[list[Asset]]:
    """Each key's page of a session's (visible) assets, in timestamp order (untimed last), then by id."""

    def timeline(page_keys: FromClause) -> Select:
        return (
            select(Asset)
            .select_from(page_keys)
            .join(Asset, Asset.session_id == page_keys.c.parent_id)
            .where(project_visible(Asset.project_id, ctx.viewer))
        )

    return await load_pages(ctx, keys, Asset, timeline, order_by=[Asset.timestamp.asc().nulls_last(), Asset.id])
