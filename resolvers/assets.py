"""Reading assets: list, count and keyset page share one compiled filter, so they always agree."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.context import RequestContext
from gateway.db.models import Asset
from gateway.errors import NotFound
from resolvers.asset_order import asset_ordering
from resolvers.filters.asset_where import compile_asset_where
from resolvers.paging import PageBounds, Window, offset_rows, split_window, window_rows
from schema.inputs.order import AssetOrderBy
from schema.inputs.where import AssetWhere


async def list_assets(
    ctx: RequestContext,
    where: AssetWhere | None,
    first: int,
    skip: int,
    order_by: list[AssetOrderBy] | None = None,
) -> list[Asset]:
    statement = select(Asset).where(compile_asset_where(where, ctx.viewer))
    return await ctx.scalars(offset_rows(statement, asset_ordering(order_by), first, skip))


async def page_assets(
    ctx: RequestContext, where: AssetWhere | None, window: Window, order_by: list[AssetOrderBy] | None = None
) -> tuple[list[Asset], PageBounds]:
    """One statement: the window's rows with their sort keys, from which the cursors are made."""
    ordering = asset_ordering(order_by)
    statement = select(Asset, *ordering.selected()).where(compile_asset_where(where, ctx.viewer))
    rows = (await ctx.execute(window_rows(statement, ordering, window))).all()
    page, bounds = split_window(rows, ordering, window, lambda row: row[1:])
    return [row[0] for row in page], bounds


async def get_asset(ctx: RequestContext, asset_id: str) -> Asset:
    """One asset by id; NOT_FOUND when there is none the viewer may see (invisible is unknown)."""
    statement = select(Asset).where(Asset.id == asset_id, compile_asset_where(None, ctx.viewer))
    rows = await ctx.scalars(statement)
    if not rows:
        raise NotFound(f"No asset with id '{asset_id}'.", details={"id": asset_id})
    return rows[0]


async def count_assets(ctx: RequestContext, where: AssetWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Asset).where(compile_asset_where(where, ctx.viewer)))
