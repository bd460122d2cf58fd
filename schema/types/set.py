"""Sets: curated collections of a project's assets (SceneBox sense)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.db import models
from resolvers.per_parent import PageKey
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, First, Skip
from schema.timefmt import iso
from schema.types.page import PageInfo
from schema.types.project import Project

if TYPE_CHECKING:
    from schema.types.asset import Asset
    from schema.types.stats import AssetStats


@strawberry.type(description="A named, curated collection of one project's assets.")
class Set:
    id: strawberry.ID = strawberry.field(description="Set id.")
    project_id: strawberry.ID = strawberry.field(description="Id of the project the set belongs to.")
    name: str = strawberry.field(description="Name, unique in the project.")
    description: str | None = strawberry.field(description="Description.")
    tags: list[str] = strawberry.field(description="Tags.")
    json_aux_metadata: str = strawberry.field(description="Free auxiliary metadata, as a JSON-encoded object string.")
    is_locked: bool = strawberry.field(description="A locked set's membership may not change.")
    origin_set_id: strawberry.ID | None = strawberry.field(description="The set this one was derived from, if any.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.AssetSet) -> Set:
        return cls(
            id=row.id,
            project_id=row.project_id,
            name=row.name,
            description=row.description,
            tags=list(row.tags or []),
            json_aux_metadata=json.dumps(row.aux_metadata or {}),
            is_locked=row.is_locked,
            origin_set_id=row.origin_set_id,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
        )

    @strawberry.field(description="The set's assets, in the order they were added (then by id).")
    async def assets(
        self, info: strawberry.Info, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Annotated[Asset, strawberry.lazy("schema.types.asset")]]:
        from schema.types.asset import Asset  # noqa: PLC0415  (the asset module may refer back to sets)

        rows = await info.context.loaders.asset_page_of_set.load(PageKey(self.id, first, skip))
        return [Asset.from_row(row) for row in rows]

    @strawberry.field(description="Number of assets in the set.")
    async def number_of_assets(self, info: strawberry.Info) -> int:
        return await info.context.loaders.asset_count_of_set.load(self.id)

    @strawberry.field(
        description="The set's assets: total and byStatus (Datature list_groups), as "
        "assetStats(where: {setIdIn: [id]}) "
        "answers them; aggregations and metrics are empty here (ask assetStats for them). One statement for a page."
    )
    async def stats(self, info: strawberry.Info) -> Annotated[AssetStats, strawberry.lazy("schema.types.stats")]:
        from schema.types.stats import AssetStats  # noqa: PLC0415  (schema.types.stats imports resolvers)

        return AssetStats.from_result(await info.context.loaders.stats_of_set.load(self.id))

    @strawberry.field(description="The project the set belongs to.")
    async def project(self, info: strawberry.Info) -> Project:
        return Project.from_row(await info.context.loaders.project.load(self.project_id))

    @strawberry.field(description="The set this one was derived from; null if none or not visible to the viewer.")
    async def origin_set(self, info: strawberry.Info) -> Set | None:
        if self.origin_set_id is None:
            return None
        row = await info.context.loaders.set.load(self.origin_set_id)
        return None if row is None else Set.from_row(row)


@strawberry.type(description="A keyset page of sets.")
class SetConnection:
    nodes: list[Set] = strawberry.field(description="The sets of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
