"""Metrics over a metadata key (COUNT SUM AVERAGE MIN MAX CARDINALITY), as SQL aggregates.

Each metric is two aggregate columns, its value and how many values it read, optionally restricted
to the rows of one bucket (`FILTER (WHERE ...)`), so metrics inside buckets cost no extra statement."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Numeric, case, cast, func

from gateway.db.models import Asset
from gateway.errors import BadUserInput
from resolvers.filters.metadata_keys import key_path, metadata_value
from resolvers.stats.results import MetricResult
from schema.inputs.stats import MetricInput, MetricOp

MAX_METRICS = 20
COLUMNS_PER_METRIC = 2


def checked_metrics(metrics: list[MetricInput] | None, field: str) -> list[MetricInput]:
    """The metrics, validated: at most MAX_METRICS, every key well formed."""
    metrics = metrics or []
    if len(metrics) > MAX_METRICS:
        raise BadUserInput(f"{field}: {len(metrics)} metrics, at most {MAX_METRICS}.")
    for i, metric in enumerate(metrics):
        key_path(metric.metadata_key, f"{field}[{i}].metadataKey")
    return metrics


def number_at(key: str) -> ColumnElement[Any]:
    """The value at a metadata key as numeric when it is a JSON number, else NULL (the CASE keeps
    the cast away from anything else)."""
    return case(
        (
            func.jsonb_typeof(metadata_value(Asset.json_metadata, key)) == "number",
            # jsonb → numeric directly: no detour through text (measurably cheaper per row)
            cast(metadata_value(Asset.json_metadata, key), Numeric),
        ),
        else_=None,
    )


def present_at(key: str) -> ColumnElement[Any]:
    """The jsonb value at a metadata key, NULL when absent or JSON null."""
    value = metadata_value(Asset.json_metadata, key)
    return case((func.jsonb_typeof(value) != "null", value), else_=None)


def metric_columns(
    metrics: Sequence[MetricInput], within: ColumnElement[bool] | None = None
) -> list[ColumnElement[Any]]:
    """(value, value count) aggregate columns per metric, over the rows `within` selects (all rows without it)."""

    def restricted(aggregate: Any) -> ColumnElement[Any]:
        return aggregate if within is None else aggregate.filter(within)

    columns: list[ColumnElement[Any]] = []
    for metric in metrics:
        number, present = number_at(metric.metadata_key), present_at(metric.metadata_key)
        value = {
            MetricOp.COUNT: func.count(present),
            MetricOp.SUM: func.sum(number),
            MetricOp.AVERAGE: func.avg(number),
            MetricOp.MIN: func.min(number),
            MetricOp.MAX: func.max(number),
            MetricOp.CARDINALITY: func.count(present.distinct()),
        }[metric.op]
        counted = number if metric.op in (MetricOp.SUM, MetricOp.AVERAGE, MetricOp.MIN, MetricOp.MAX) else present
        columns += [restricted(value), restricted(func.count(counted))]
    return columns


def as_float(value: Any) -> float | None:
    """A numeric as a GraphQL Float; null when there is none or it lies beyond a double's range
    (a SUM of numbers near 1e308), which GraphQL cannot carry."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def read_metrics(metrics: Sequence[MetricInput], values: Sequence[Any]) -> list[MetricResult]:
    """The metric results from the columns metric_columns made, in the same order."""
    results = []
    for i, metric in enumerate(metrics):
        value, count = values[COLUMNS_PER_METRIC * i], values[COLUMNS_PER_METRIC * i + 1]
        results.append(
            MetricResult(
                op=metric.op.value,
                metadata_key=metric.metadata_key,
                value=as_float(value),
                value_count=int(count or 0),
            )
        )
    return results
