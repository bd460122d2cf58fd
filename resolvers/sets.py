"""Reading sets (SceneBox sense): curated, named collections of one project's assets."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import FromClause, Select, func, select

from gateway.context import RequestContext
from gateway.db.models import Asset, AssetSet, SetAsset
from gateway.errors import NotFound
from resolvers.filters.set_where import compile_set_where
from resolvers.paging import keyset_page, offset_page
from resolvers.per_parent import PageKey, load_pages
from resolvers.visibility import project_visible
from schema.inputs.where import SetWhere


async def list_sets(ctx: RequestContext, where: SetWhere | None, first: int, skip: int) -> list[AssetSet]:
    statement = select(AssetSet).where(compile_set_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, AssetSet.created_at, AssetSet.id, first, skip))


async def page_sets(ctx: RequestContext, where: SetWhere | None, first: int, after: str | None) -> list[AssetSet]:
    statement = select(AssetSet).where(compile_set_where(where, ctx.viewer))
    return await ctx.scalars(keyset_page(statement, AssetSet.created_at, AssetSet.id, first, after))


async def count_sets(ctx: RequestContext, where: SetWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(AssetSet).where(compile_set_where(where, ctx.viewer)))


async def get_set(ctx: RequestContext, set_id: str) -> AssetSet:
    """The set with this id; NotFound when there is none or the viewer may not see it."""
    rows = await ctx.scalars(
        select(AssetSet).where(AssetSet.id == set_id, project_visible(AssetSet.project_id, ctx.viewer))
    )
    if not rows:
        raise NotFound(f"No set with id '{set_id}'.", details={"id": set_id})
    return rows[0]


async def asset_pages_of_sets(ctx: RequestContext, keys: Sequence[PageKey]) -> list[list[Asset]]:
    """Each key's page of a set's (visible) members, in the order they were added, then by id."""

    def members(page_keys: FromClause) -> Select:
        return (
            select(Asset)
            .select_from(page_keys)
            .join(SetAsset, SetAsset.set_id == page_keys.c.parent_id)
            .join(Asset, Asset.id == SetAsset.asset_id)
            .where(project_visible(Asset.project_id, ctx.viewer))
        )

    return await load_pages(ctx, keys, Asset, members, order_by=[SetAsset.added_at, SetAsset.asset_id])
