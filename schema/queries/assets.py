"""Root fields: assets (Kili's `assets` / `countAssets`, plus a keyset connection)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import assets
from schema.inputs.where import AssetWhere
from schema.queries.args import After, First, Skip
from schema.types.asset import Asset, AssetConnection
from schema.types.page import split_page

Where = Annotated[
    AssetWhere, strawberry.argument(description="Which assets; `{}` for all the viewer may see (Kili's AssetWhere).")
]


@strawberry.type
class AssetQueries:
    @strawberry.field(description="Assets the viewer may see, oldest first (created time, then id).")
    async def assets(self, info: strawberry.Info, where: Where, first: First, skip: Skip) -> list[Asset]:
        return [Asset.from_row(r) for r in await assets.list_assets(info.context, where, first, skip)]

    @strawberry.field(description="Number of assets `assets` would list for the same `where`.")
    async def count_assets(self, info: strawberry.Info, where: Where) -> int:
        return await assets.count_assets(info.context, where)

    @strawberry.field(description="Assets as a keyset page (for UIs that page deep).")
    async def assets_connection(
        self, info: strawberry.Info, where: Where, first: First, after: After = None
    ) -> AssetConnection:
        page, page_info = split_page(await assets.page_assets(info.context, where, first, after), first)
        return AssetConnection(nodes=[Asset.from_row(r) for r in page], page_info=page_info)
