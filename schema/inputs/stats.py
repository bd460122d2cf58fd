"""Inputs of `assetStats`: terms, numeric range and time bucket aggregations, and metrics
(SceneBox summary_meta / sum / average / cardinality, Datature list_groups). resolvers/stats/ reads them."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.enums import LabelType

F = strawberry.field


@strawberry.enum(description="What a terms aggregation groups assets by.")
class AssetDimension(Enum):
    STATUS = "STATUS"
    SET = "SET"
    SESSION = "SESSION"
    SENSOR = "SENSOR"
    MIME_TYPE = "MIME_TYPE"
    ASSIGNEE = "ASSIGNEE"
    LABEL_TYPE = "LABEL_TYPE"
    LABEL_MODEL = "LABEL_MODEL"
    LABEL_CATEGORY = "LABEL_CATEGORY"
    METADATA = "METADATA"


@strawberry.enum(description="A metric over the values of one metadata key.")
class MetricOp(Enum):
    COUNT = "COUNT"
    SUM = "SUM"
    AVERAGE = "AVERAGE"
    MIN = "MIN"
    MAX = "MAX"
    CARDINALITY = "CARDINALITY"


@strawberry.enum(description="The time a time bucket aggregation reads.")
class TimeField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    TIMESTAMP = "TIMESTAMP"
    METADATA = "METADATA"


@strawberry.input(description="A metric over a metadata key (SceneBox sum / average / cardinality).")
class MetricInput:
    op: MetricOp = F(
        description="COUNT: assets having the key (not JSON null). SUM, AVERAGE, MIN, MAX: over the values that "
        "are JSON numbers (others are skipped). CARDINALITY: exact number of distinct values (JSON equality)."
    )
    metadata_key: str = F(description="The metadata key; dots reach nested objects ('camera.speed').")


@strawberry.input(description="Group assets by the values of a dimension, most frequent first (SceneBox dimensions).")
class TermsInput:
    dimension: AssetDimension = F(description="What to group by.")
    metadata_key: str | None = F(
        default=None, description="The key for dimension METADATA (required then); dots reach nested objects."
    )
    size: int = F(default=100, description="At most this many buckets (1 to 1000); the rest goes to otherCount.")
    name: str | None = F(
        default=None, description="Name of the aggregation in the answer (default: the dimension, or the metadata key)."
    )
    label_type_in: list[LabelType] | None = F(
        default=None,
        description="For LABEL_TYPE, LABEL_MODEL and LABEL_CATEGORY: only labels of these types count "
        "(default: all labels).",
    )
    metrics: list[MetricInput] | None = F(default=None, description="Metrics computed inside each bucket.")


@strawberry.input(description="A numeric range `[from, to)`; a missing bound is open.")
class NumberRangeInput:
    from_: float | None = F(default=None, name="from", description="Lowest value included (none: no lower bound).")
    to: float | None = F(default=None, description="First value excluded (none: no upper bound).")


@strawberry.input(description="Numeric range buckets over a metadata key (SceneBox custom_buckets_numeric).")
class RangeBucketsInput:
    metadata_key: str = F(description="The metadata key; only JSON numbers fall in ranges, other values are missing.")
    ranges: list[NumberRangeInput] = F(description="The ranges, 1 to 100; they may overlap (an asset counts in each).")
    name: str | None = F(default=None, description="Name of the aggregation in the answer (default: the metadata key).")
    metrics: list[MetricInput] | None = F(default=None, description="Metrics computed inside each bucket.")


@strawberry.input(description="A time range `[from, to)`, ISO-8601 or YYYY-MM-DD; a missing bound is open.")
class TimeRangeInput:
    from_: str | None = F(default=None, name="from", description="Earliest time included (none: no lower bound).")
    to: str | None = F(default=None, description="First time excluded (none: no upper bound).")


@strawberry.input(
    description="Time buckets (SceneBox custom_buckets_time): either a fixed interval (buckets start at "
    "`origin` + k × interval; only non-empty buckets are listed, in time order) or explicit ranges."
)
class TimeBucketsInput:
    field: TimeField = F(description="The time to read.")
    metadata_key: str | None = F(
        default=None,
        description="For field METADATA: the key, holding ISO-8601 strings or epoch seconds "
        "(other values are missing).",
    )
    interval_seconds: int | None = F(
        default=None, description="Bucket width in seconds (at least 1); at most 1000 non-empty buckets."
    )
    origin: str | None = F(default=None, description="Start of one interval bucket (default 2000-01-01T00:00:00Z).")
    ranges: list[TimeRangeInput] | None = F(
        default=None, description="Explicit ranges, 1 to 100, instead of an interval."
    )
    name: str | None = F(
        default=None, description="Name of the aggregation in the answer (default: the field, or the metadata key)."
    )
    metrics: list[MetricInput] | None = F(default=None, description="Metrics computed inside each bucket.")
