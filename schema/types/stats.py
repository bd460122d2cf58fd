"""Statistics answers: assetStats, metadataFields, Set.stats, Session.stats (resolvers/stats/)."""

from __future__ import annotations

import strawberry

from resolvers.stats.metadata_fields import FieldStats
from resolvers.stats.results import AggregationResult, BucketResult, MetricResult, StatsResult
from schema.inputs.stats import MetricOp


@strawberry.type(description="A metric over one metadata key.")
class MetricValue:
    op: MetricOp = strawberry.field(description="The metric.")
    metadata_key: str = strawberry.field(description="The metadata key it reads.")
    value: float | None = strawberry.field(
        description="The metric's value; null when no value was read, or when it lies beyond a double (a huge SUM)."
    )
    value_count: int = strawberry.field(
        description="How many values it read: numbers for SUM/AVERAGE/MIN/MAX, present values for COUNT/CARDINALITY."
    )

    @classmethod
    def from_result(cls, m: MetricResult) -> MetricValue:
        return cls(op=MetricOp(m.op), metadata_key=m.metadata_key, value=m.value, value_count=m.value_count)


@strawberry.type(description="A group of assets: one key of a terms aggregation, one range, or one time bucket.")
class Bucket:
    key: str = strawberry.field(
        description="The key: a dimension value (ids for SET, SESSION, ASSIGNEE; `JOB.CATEGORY` for LABEL_CATEGORY; "
        "the value as text for METADATA), `from..to` for a range (`*` is open), or the ISO-8601 start of a time bucket."
    )
    count: int = strawberry.field(description="Number of assets in the bucket.")
    by_status: list[Bucket] | None = strawberry.field(
        description="The bucket's assets per status, most frequent first (statuses without assets left out)."
    )
    metrics: list[MetricValue] | None = strawberry.field(description="The metrics asked for, over the bucket's assets.")
    dimension: strawberry.Private[str | None] = None

    @strawberry.field(
        description="What the key names, for keys that are ids: the set's or session's name (SET, SESSION), the "
        "user's email (ASSIGNEE); null for other keys. One batched statement per dimension for the whole answer."
    )
    async def name(self, info: strawberry.Info) -> str | None:
        loaders = info.context.loaders
        match self.dimension:
            case "SET" | "SESSION":
                row = await (loaders.set if self.dimension == "SET" else loaders.session).load(self.key)
                return None if row is None else row.name
            case "ASSIGNEE":
                user = await loaders.user.load(self.key)
                return None if user is None else user.email
        return None

    @classmethod
    def from_result(cls, b: BucketResult, dimension: str | None = None) -> Bucket:
        return cls(
            key=b.key,
            count=b.count,
            by_status=status_buckets(b.by_status),
            metrics=[MetricValue.from_result(m) for m in b.metrics],
            dimension=dimension,
        )


def status_buckets(counts: list[tuple[str, int]]) -> list[Bucket]:
    return [Bucket(key=status, count=n, by_status=None, metrics=None) for status, n in counts]


@strawberry.type(description="One aggregation's buckets.")
class Aggregation:
    name: str = strawberry.field(description="The aggregation's name (its input's name, or a default).")
    buckets: list[Bucket] = strawberry.field(
        description="Terms: most frequent first, then by key. Ranges: in the order given. Intervals: in time order."
    )
    other_count: int = strawberry.field(
        description="Terms: assets counted in keys beyond `size`. Ranges: assets whose value lies in no range."
    )
    missing_count: int = strawberry.field(
        description="Assets without a value: no key (JSON null counts as none), no set, no label..., or for ranges "
        "a value that is not a number (not a time)."
    )

    @classmethod
    def from_result(cls, a: AggregationResult) -> Aggregation:
        return cls(
            name=a.name,
            buckets=[Bucket.from_result(b, a.dimension) for b in a.buckets],
            other_count=a.other_count,
            missing_count=a.missing_count,
        )


@strawberry.type(description="Statistics over the assets a filter matches.")
class AssetStats:
    total: int = strawberry.field(description="Number of assets: always countAssets(where) for the same where.")
    by_status: list[Bucket] = strawberry.field(description="The assets per status, most frequent first.")
    aggregations: list[Aggregation] = strawberry.field(
        description="One per aggregation asked: terms first, then ranges, then times, each in the order given."
    )
    metrics: list[MetricValue] = strawberry.field(description="The metrics asked, over all the assets.")

    @classmethod
    def from_result(cls, s: StatsResult) -> AssetStats:
        return cls(
            total=s.total,
            by_status=status_buckets(s.by_status),
            aggregations=[Aggregation.from_result(a) for a in s.aggregations],
            metrics=[MetricValue.from_result(m) for m in s.metrics],
        )


@strawberry.type(description="One metadata key over the assets a filter matches (SceneBox field statistics).")
class MetadataFieldStats:
    key: str = strawberry.field(description="The key; nested keys are dotted ('camera.id').")
    json_types: list[str] = strawberry.field(
        description="The JSON types its values have: string, number, boolean, object, array, null (sorted)."
    )
    count: int = strawberry.field(description="Number of assets having the key (JSON null included).")
    min: float | None = strawberry.field(description="Smallest number among its values (null without numbers).")
    max: float | None = strawberry.field(description="Largest number among its values (null without numbers).")
    cardinality: int = strawberry.field(description="Exact number of distinct values (JSON equality).")

    @classmethod
    def from_result(cls, f: FieldStats) -> MetadataFieldStats:
        return cls(key=f.key, json_types=f.json_types, count=f.count, min=f.min, max=f.max, cardinality=f.cardinality)
