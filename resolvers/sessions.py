"""Reading sessions (SceneBox sense): recordings with assets on a timeline (events: resolvers/session_events.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from gateway.context import RequestContext
from gateway.db.models import Asset, Session
from gateway.errors import NotFound
from resolvers.arrays import any_id
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


def on_timeline_of(session: type[Session] | Any) -> ColumnElement[bool]:
    """The asset is on `session`'s timeline: one of its own assets, or, for a slice (a session with an
    origin), one of the origin's assets whose timestamp lies in the slice's span. One rule for
    `Session.assets`, `Session.numberOfAssets` and `AssetWhere.sessionIdIn`."""
    return or_(
        and_(session.origin_session_id.is_(None), Asset.session_id == session.id),
        and_(
            Asset.session_id == session.origin_session_id,
            Asset.timestamp >= session.start_time,
            Asset.timestamp <= session.end_time,
        ),
    )


async def asset_counts_of_sessions(ctx: RequestContext, session_ids: list[str]) -> list[int]:
    """How many (visible) assets are on each session's timeline (on_timeline_of). One statement."""
    session = aliased(Session)
    rows = (
        await ctx.execute(
            select(session.id, func.count(Asset.id))
            .join(Asset, on_timeline_of(session))
            .where(any_id(session.id, session_ids), project_visible(Asset.project_id, ctx.viewer))
            .group_by(session.id)
        )
    ).all()
    counts = dict(rows)
    return [counts.get(sid, 0) for sid in session_ids]


async def sensors_of_sessions(ctx: RequestContext, session_ids: list[str]) -> list[list[str]]:
    """The distinct sensors of the (visible) assets on each session's timeline, sorted. One statement."""
    session = aliased(Session)
    rows = (
        await ctx.execute(
            select(session.id, Asset.sensor)
            .join(Asset, on_timeline_of(session))
            .where(
                any_id(session.id, session_ids),
                Asset.sensor.is_not(None),
                project_visible(Asset.project_id, ctx.viewer),
            )
            .group_by(session.id, Asset.sensor)
            .order_by(session.id, Asset.sensor)
        )
    ).all()
    sensors: dict[str, list[str]] = {}
    for session_id, sensor in rows:
        sensors.setdefault(session_id, []).append(sensor)
    return [sensors.get(sid, []) for sid in session_ids]


def in_sessions(session_ids: list[str]) -> ColumnElement[bool]:
    """AssetWhere.sessionIdIn: the asset is on the timeline of any of these sessions (slices included)."""
    session, recording = aliased(Session), aliased(Session)
    # The IN on the recordings lets PostgreSQL probe ix_asset_session_timestamp; the EXISTS keeps a
    # slice's assets to its span.
    recordings = select(func.coalesce(recording.origin_session_id, recording.id)).where(
        any_id(recording.id, session_ids)
    )
    on_a_timeline = (
        select(session.id).where(any_id(session.id, session_ids), on_timeline_of(session)).correlate(Asset).exists()
    )
    return and_(Asset.session_id.in_(recordings), on_a_timeline)


async def asset_pages_of_sessions(ctx: RequestContext, keys: Sequence[PageKey]) -> list[list[Asset]]:
    """Each key's page of a session's (visible) assets, in timestamp order (untimed last), then by id."""

    def timeline(page_keys: FromClause) -> Select:
        session = aliased(Session)
        return (
            select(Asset)
            .select_from(page_keys)
            .join(session, session.id == page_keys.c.parent_id)
            .join(Asset, on_timeline_of(session))
            .where(project_visible(Asset.project_id, ctx.viewer))
        )

    return await load_pages(ctx, keys, Asset, timeline, order_by=[Asset.timestamp.asc().nulls_last(), Asset.id])
