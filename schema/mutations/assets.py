"""Root mutation fields: appending and updating assets."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

import strawberry

from resolvers import asset_append, asset_update, notifications
from resolvers.roles import described
from schema.inputs.data import AppendManyAssetsAsynchronouslyData, AppendManyAssetsData, AssetData
from schema.inputs.where import AssetWhere, ProjectWhere
from schema.types.asset import Asset
from schema.types.notification import Notification


class AppendedAsset(Asset):
    """An asset appendManyAssets just wrote: its `id` at hand, every other field built on first read
    (by `Asset.from_row`, as for any asset) from the values the append wrote. The usual answer,
    `{ id }`, then costs one small object per asset."""

    def __init__(self, appended: asset_append.AppendedAssets, index: int) -> None:  # noqa: D107
        self.id = appended.ids[index]
        self._appended = appended
        self._index = index

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set yet: every field but `id`, before the first build.
        if name.startswith("_") or "_appended" not in self.__dict__:
            raise AttributeError(name)
        appended = self.__dict__.pop("_appended")
        self.__dict__.update(vars(Asset.from_row(SimpleNamespace(**appended.row(self._index)))))
        return getattr(self, name)


@strawberry.type
class AssetMutations:
    @strawberry.mutation(
        description=described(
            "appendManyAssets",
            "Appends assets to one project, all or nothing: a bad item (malformed JSON, an external id already "
            "in the project or repeated in the call, a missing uploaded object) fails the whole call, naming the "
            "item. Returns the new assets in input order.",
        )
    )
    async def append_many_assets(
        self,
        info: strawberry.Info,
        data: Annotated[AppendManyAssetsData, strawberry.argument(description="The assets, as parallel arrays.")],
        where: Annotated[ProjectWhere, strawberry.argument(description="The project: must match exactly one.")],
    ) -> list[Asset]:
        appended = await asset_append.append_many_assets(info.context, data, where)
        return [AppendedAsset(appended, i) for i in range(len(appended))]

    @strawberry.mutation(
        description=described(
            "appendManyAssetsAsynchronously",
            "Kili's import of big images (30 MB or more, over 10000 px), TIFF/JP2/NITF files and videos. "
            "labelgate processes these imports synchronously, with the same checks as appendManyAssets (all or "
            "nothing; multiLayerContentArray is not supported): when it returns, the assets are in, and the "
            "notification it returns (the viewer's) is already SUCCESS. A bad item fails the call and writes "
            "neither assets nor a notification.",
        )
    )
    async def append_many_assets_asynchronously(
        self,
        info: strawberry.Info,
        data: Annotated[
            AppendManyAssetsAsynchronouslyData, strawberry.argument(description="The assets, as parallel arrays.")
        ],
        where: Annotated[ProjectWhere, strawberry.argument(description="The project: must match exactly one.")],
    ) -> Notification:
        row = await notifications.append_many_assets_asynchronously(info.context, data, where)
        return Notification.from_row(row)

    @strawberry.mutation(
        description=described(
            "updatePropertiesInAssets",
            "Changes asset properties, pair by pair (where[i] gets data[i]), in one transaction: only the "
            "fields given are written, and never the status. Returns the updated assets, each once, in input "
            "order.",
        )
    )
    async def update_properties_in_assets(
        self,
        info: strawberry.Info,
        where: Annotated[
            list[AssetWhere], strawberry.argument(description="Which assets each pair changes; each must match.")
        ],
        data: Annotated[list[AssetData], strawberry.argument(description="The changes of each pair.")],
    ) -> list[Asset]:
        rows = await asset_update.update_properties_in_assets(info.context, where, data)
        return [Asset.from_row(r) for r in rows]
