"""Root fields: statistics over an AssetWhere (assetStats, metadataFields)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from resolvers.stats.asset_stats import asset_stats
from resolvers.stats.metadata_fields import metadata_fields
from schema.inputs.stats import MetricInput, RangeBucketsInput, TermsInput, TimeBucketsInput
from schema.inputs.where import AssetWhere
from schema.queries.args import everything
from schema.types.stats import AssetStats, MetadataFieldStats

Where = Annotated[
    AssetWhere,
    strawberry.argument(description="Which assets: the same filter as countAssets, so total == countAssets(where)."),
]
ALL = everything(AssetWhere)


def selects(selections: list[Selection], path: list[str]) -> bool:
    """Whether the selection reaches `path` (field names), through fragments too."""
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            if selects(selection.selections, path):
                return True
        elif selection.name == path[0] and (len(path) == 1 or selects(selection.selections, path[1:])):
            return True
    return False


@strawberry.type
class StatsQueries:
    @strawberry.field(
        description="Statistics over the assets `where` matches (SceneBox summary_meta, sum, average, cardinality; "
        "Datature list_groups): total and status split, metrics, terms / range / time buckets. At most 10 "
        "aggregations; one SQL statement each."
    )
    async def asset_stats(
        self,
        info: strawberry.Info,
        where: Where = ALL,
        terms: Annotated[
            list[TermsInput] | None, strawberry.argument(description="Terms aggregations (group by a dimension).")
        ] = None,
        ranges: Annotated[
            list[RangeBucketsInput] | None,
            strawberry.argument(description="Numeric range bucket aggregations over metadata keys."),
        ] = None,
        times: Annotated[
            list[TimeBucketsInput] | None, strawberry.argument(description="Time bucket aggregations.")
        ] = None,
        metrics: Annotated[
            list[MetricInput] | None, strawberry.argument(description="Metrics over all the matched assets.")
        ] = None,
    ) -> AssetStats:
        bucket_status = selects(info.selected_fields[0].selections, ["aggregations", "buckets", "byStatus"])
        stats = await asset_stats(info.context, where, terms, ranges, times, metrics, bucket_status=bucket_status)
        return AssetStats.from_result(stats)

    @strawberry.field(
        description="Every metadata key of the assets `where` matches (nested keys dotted), with its JSON types, "
        "count, numeric min and max, and cardinality (SceneBox get_searchable_field_statistics); at most 1000 keys, "
        "in key order."
    )
    async def metadata_fields(self, info: strawberry.Info, where: Where = ALL) -> list[MetadataFieldStats]:
        return [MetadataFieldStats.from_result(f) for f in await metadata_fields(info.context, where)]
