"""Set.stats and Session.stats: each set's (session's) asset total and status split, for every set
(session) of a batch in one GROUP BY statement (Datature list_groups: total, annotated, reviewed...).
Membership follows the rules of `setIdIn` and `sessionIdIn` (a slice: its origin's assets in its span),
so a set's total is countAssets(where: {setIdIn: [id]})."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from gateway.context import RequestContext
from gateway.db.models import Asset, Session, SetAsset
from resolvers.arrays import any_id
from resolvers.sessions import on_timeline_of
from resolvers.stats.results import StatsResult, by_count_then_key
from resolvers.visibility import project_visible


async def stats_of_sets(ctx: RequestContext, set_ids: Sequence[str]) -> list[StatsResult]:
    statement = (
        select(SetAsset.set_id, Asset.status, func.count())
        .join(Asset, Asset.id == SetAsset.asset_id)
        .where(any_id(SetAsset.set_id, list(set_ids)), project_visible(Asset.project_id, ctx.viewer))
        .group_by(SetAsset.set_id, Asset.status)
    )
    return await _per_group(ctx, statement, set_ids)


async def stats_of_sessions(ctx: RequestContext, session_ids: Sequence[str]) -> list[StatsResult]:
    session = aliased(Session)
    statement = (
        select(session.id, Asset.status, func.count())
        .join(Asset, on_timeline_of(session))
        .where(any_id(session.id, list(session_ids)), project_visible(Asset.project_id, ctx.viewer))
        .group_by(session.id, Asset.status)
    )
    return await _per_group(ctx, statement, session_ids)


async def _per_group(ctx: RequestContext, statement: Select, ids: Sequence[str]) -> list[StatsResult]:
    counts: dict[str, dict[str, int]] = {}
    rows: Any = (await ctx.execute(statement)).all()
    for group_id, status, count in rows:
        counts.setdefault(group_id, {})[status] = int(count)
    return [
        StatsResult(total=sum(counts.get(i, {}).values()), by_status=by_count_then_key(counts.get(i, {}))) for i in ids
    ]
