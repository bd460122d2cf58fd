"""Reading assets: list, count and keyset page share one compiled filter, so they always agree."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.context import RequestContext
from gateway.db.models import Asset
from resolvers.filters.asset_where import compile_asset_where
from resolvers.paging import keyset_page, offset_page
from schema.inputs.where import AssetWhere


async def list_assets(ctx: RequestContext, where: AssetWhere | None, first: int, skip: int) -> list[Asset]:
    statement = select(Asset).where(compile_asset_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, Asset.created_at, Asset.id, first, skip))


async def page_assets(ctx: RequestContext, where: AssetWhere | None, first: int, after: str | None) -> list[Asset]:
    statement = select(Asset).where(compile_asset_where(where, ctx.viewer))
    return await ctx.scalars(keyset_page(statement, Asset.created_at, Asset.id, first, after))


async def count_assets(ctx: RequestContext, where: AssetWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Asset).where(compile_asset_where(where, ctx.viewer)))
