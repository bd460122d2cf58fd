"""Root fields: assets (Kili's `assets` / `countAssets`, plus a keyset connection and `asset(id)`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import assets
from resolvers.paging import Window
from schema.inputs.order import AssetOrderBy
from schema.inputs.where import AssetWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, After, First, Skip, everything
from schema.scalars import PageSize
from schema.types.asset import Asset, AssetConnection
from schema.types.page import PageInfo

Where = Annotated[
    AssetWhere, strawberry.argument(description="Which assets; `{}` for all the viewer may see (Kili's AssetWhere).")
]
ALL = everything(AssetWhere)
OrderBy = Annotated[
    list[AssetOrderBy] | None,
    strawberry.argument(
        description="Sort keys, most significant first (at most 5); the id breaks ties. Default: created time, "
        "then id, ascending."
    ),
]


@strawberry.type
class AssetQueries:
    @strawberry.field(description="Assets the viewer may see, oldest first (created time, then id) unless `orderBy`.")
    async def assets(
        self,
        info: strawberry.Info,
        where: Where = ALL,
        first: First = FIRST_DEFAULT,
        skip: Skip = SKIP_DEFAULT,
        order_by: OrderBy = None,
    ) -> list[Asset]:
        rows = await assets.list_assets(info.context, where, first, skip, order_by)
        return [Asset.from_row(r) for r in rows]

    @strawberry.field(description="Number of assets `assets` would list for the same `where`.")
    async def count_assets(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await assets.count_assets(info.context, where)

    @strawberry.field(
        description="Assets as a keyset page (for UIs that page deep): `first` rows after `after`, or `last` rows "
        "before `before`. Cursors carry the sort key of their `orderBy` and only work with that same `orderBy`."
    )
    async def assets_connection(
        self,
        info: strawberry.Info,
        where: Where = ALL,
        first: Annotated[
            PageSize | None,
            strawberry.argument(
                description="Page size (at most 100), paging forward. Give `first` or `last`; neither: the first "
                "page, as large as pages get."
            ),
        ] = None,
        after: After = None,
        last: Annotated[
            PageSize | None,
            strawberry.argument(description="Page size (at most 100), paging backward: the rows just before `before`."),
        ] = None,
        before: Annotated[
            str | None,
            strawberry.argument(
                description="Cursor from `pageInfo.startCursor` of the following page; omit with `last` for the "
                "list's last page."
            ),
        ] = None,
        order_by: OrderBy = None,
    ) -> AssetConnection:
        if first is None and last is None:
            first = PageSize(info.context.settings.max_page_size)  # what an omitted `first` is elsewhere
        window = Window(first=first, last=last, after=after, before=before)
        page, bounds = await assets.page_assets(info.context, where, window, order_by)
        return AssetConnection(nodes=[Asset.from_row(r) for r in page], page_info=PageInfo.from_bounds(bounds))

    @strawberry.field(description="One asset by id; NOT_FOUND if there is none the viewer may see.")
    async def asset(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Asset id.")]
    ) -> Asset:
        return Asset.from_row(await assets.get_asset(info.context, id))
