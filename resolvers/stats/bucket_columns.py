"""The columns every bucket has: its count, its count per status, its metrics, as aggregates over
the rows of the bucket. Terms buckets are GROUP BY groups (no restriction); range and time buckets
are `FILTER (WHERE value in bucket)` restrictions, so all of an aggregation's buckets come out of one
statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func

from gateway.db.models import Asset
from resolvers.stats.metrics import metric_columns, read_metrics
from resolvers.stats.results import BucketResult, by_count_then_key
from schema.enums import AssetStatus
from schema.inputs.stats import MetricInput

STATUSES = [status.value for status in AssetStatus]


def bucket_columns(
    metrics: Sequence[MetricInput], within: ColumnElement[bool] | None = None
) -> list[ColumnElement[Any]]:
    """count, one count per status (STATUSES order), then the metric columns."""

    def count_where(condition: ColumnElement[bool] | None) -> ColumnElement[Any]:
        conditions = [c for c in (within, condition) if c is not None]
        counted = func.count()
        return counted.filter(and_(*conditions)) if conditions else counted

    return [
        count_where(None),
        *[count_where(Asset.status == status) for status in STATUSES],
        *metric_columns(metrics, within),
    ]


def width(metrics: Sequence[MetricInput]) -> int:
    return 1 + len(STATUSES) + 2 * len(metrics)


def read_bucket(key: str, values: Sequence[Any], metrics: Sequence[MetricInput]) -> BucketResult:
    """A bucket from the columns bucket_columns made, in the same order."""
    count = int(values[0])
    statuses = dict(zip(STATUSES, (int(n) for n in values[1 : 1 + len(STATUSES)]), strict=True))
    return BucketResult(
        key=key,
        count=count,
        by_status=by_count_then_key(statuses),
        metrics=read_metrics(metrics, values[1 + len(STATUSES) :]),
    )
