"""The columns every bucket has: its count, its count per status (when asked), its metrics, as
aggregates over the rows of the bucket. Terms buckets are GROUP BY groups (no restriction); range and
time buckets are `FILTER (WHERE value in bucket)` restrictions, so all of an aggregation's buckets
come out of one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func

from gateway.db.models import Asset
from resolvers.stats.metrics import COLUMNS_PER_METRIC, metric_columns, read_metrics
from resolvers.stats.results import BucketResult, by_count_then_key
from schema.enums import AssetStatus
from schema.inputs.stats import MetricInput, MetricOp

STATUSES = [status.value for status in AssetStatus]


@dataclass(frozen=True)
class BucketShape:
    """What each bucket of an aggregation computes. `with_status` is off when the request selects no
    `byStatus` inside buckets: five FILTER counts per row saved on large scans."""

    metrics: Sequence[MetricInput]
    with_status: bool = True

    @property
    def statuses(self) -> list[str]:
        return STATUSES if self.with_status else []

    @property
    def width(self) -> int:
        return 1 + len(self.statuses) + COLUMNS_PER_METRIC * len(self.metrics)

    def columns(self, within: ColumnElement[bool] | None = None) -> list[ColumnElement[Any]]:
        """count, one count per status (STATUSES order), then the metric columns."""

        def count_where(condition: ColumnElement[bool] | None) -> ColumnElement[Any]:
            conditions = [c for c in (within, condition) if c is not None]
            counted = func.count()
            return counted.filter(and_(*conditions)) if conditions else counted

        return [
            count_where(None),
            *[count_where(Asset.status == status) for status in self.statuses],
            *metric_columns(self.metrics, within),
        ]

    def empty_values(self) -> list[Any]:
        """What `columns` give over no rows: counts 0, SUM/AVERAGE/MIN/MAX NULL."""
        metric_values: list[Any] = []
        for metric in self.metrics:
            metric_values += [0 if metric.op in (MetricOp.COUNT, MetricOp.CARDINALITY) else None, 0]
        return [0, *[0 for _ in self.statuses], *metric_values]

    def read(self, key: str, values: Sequence[Any]) -> BucketResult:
        """A bucket from the values of `columns`, in the same order."""
        statuses = self.statuses
        counts = dict(zip(statuses, (int(n) for n in values[1 : 1 + len(statuses)]), strict=True))
        return BucketResult(
            key=key,
            count=int(values[0]),
            by_status=by_count_then_key(counts),
            metrics=read_metrics(self.metrics, values[1 + len(statuses) :]),
        )
