"""assetStats: the total and status breakdown, metrics, and terms / range / time aggregations over
the assets an AssetWhere matches, with `compile_asset_where` (the filter of `countAssets`, visibility
in SQL). Statements: one for total and byStatus, one for all top-level metrics (when asked), one
per aggregation (but STATUS terms without metrics, which are byStatus)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import DBAPIError

from gateway.context import RequestContext
from gateway.db.models import Asset
from gateway.errors import BadUserInput
from resolvers.filters.asset_where import compile_asset_where
from resolvers.stats import buckets, dimensions
from resolvers.stats.bucket_columns import BucketShape
from resolvers.stats.metrics import checked_metrics, metric_columns, read_metrics
from resolvers.stats.results import AggregationResult, BucketResult, StatsResult, by_count_then_key
from schema.inputs.stats import AssetDimension, MetricInput, RangeBucketsInput, TermsInput, TimeBucketsInput
from schema.inputs.where import AssetWhere

MAX_AGGREGATIONS = 10


async def asset_stats(
    ctx: RequestContext,
    where: AssetWhere | None,
    terms: list[TermsInput] | None = None,
    ranges: list[RangeBucketsInput] | None = None,
    times: list[TimeBucketsInput] | None = None,
    metrics: list[MetricInput] | None = None,
    *,
    bucket_status: bool = True,
) -> StatsResult:
    """`bucket_status`: whether buckets count their assets per status (off when nobody reads it)."""
    terms, ranges, times = terms or [], ranges or [], times or []
    _check(terms, ranges, times, metrics)
    condition = compile_asset_where(where, ctx.viewer)
    total, by_status = await _total_by_status(ctx, condition)
    top_metrics = checked_metrics(metrics, "metrics")
    metric_results = []
    if top_metrics:
        row = (await ctx.execute(select(*metric_columns(top_metrics)).select_from(Asset).where(condition))).one()
        metric_results = read_metrics(top_metrics, row)
    aggregations: list[AggregationResult] = []
    for i, t in enumerate(terms):
        shape = BucketShape(t.metrics or [], bucket_status)
        if t.dimension == AssetDimension.STATUS and not t.metrics:
            aggregations.append(_status_terms(t, shape, by_status))
            continue
        rows = (await ctx.execute(dimensions.terms_statement(t, shape, condition, f"terms[{i}]"))).mappings().all()
        aggregations.append(dimensions.read_terms(t, shape, list(rows)))
    for i, r in enumerate(ranges):
        shape = BucketShape(r.metrics or [], bucket_status)
        rows = (await ctx.execute(buckets.ranges_statement(r, shape, condition, f"ranges[{i}]"))).all()
        aggregations.append(buckets.read_ranges(r, shape, list(rows), f"ranges[{i}]"))
    for i, t in enumerate(times):
        field, shape = f"times[{i}]", BucketShape(t.metrics or [], bucket_status)
        rows = await _time_rows(ctx, t, shape, condition, field)
        aggregations.append(buckets.read_times(t, shape, rows, field))
    return StatsResult(total=total, by_status=by_status, aggregations=aggregations, metrics=metric_results)


def _status_terms(terms: TermsInput, shape: BucketShape, by_status: list[tuple[str, int]]) -> AggregationResult:
    """Terms on STATUS without metrics are the byStatus breakdown already counted: no second scan."""
    kept = by_status[: terms.size]
    buckets = [BucketResult(key, n, [(key, n)] if shape.with_status else []) for key, n in kept]
    return AggregationResult(
        name=dimensions.terms_name(terms),
        buckets=buckets,
        other_count=sum(n for _, n in by_status[terms.size :]),
        missing_count=0,  # every asset has a status
        dimension=terms.dimension.value,
    )


def _check(
    terms: list[TermsInput],
    ranges: list[RangeBucketsInput],
    times: list[TimeBucketsInput],
    metrics: list[MetricInput] | None,
) -> None:
    """Every input problem as BAD_USER_INPUT before any statement runs."""
    count = len(terms) + len(ranges) + len(times)
    if count > MAX_AGGREGATIONS:
        raise BadUserInput(f"{count} aggregations (terms, ranges and times together), at most {MAX_AGGREGATIONS}.")
    checked_metrics(metrics, "metrics")
    for i, t in enumerate(terms):
        dimensions.check_terms(t, f"terms[{i}]")
    for i, r in enumerate(ranges):
        buckets.check_ranges(r, f"ranges[{i}]")
    for i, t in enumerate(times):
        buckets.check_times(t, f"times[{i}]")


async def _total_by_status(ctx: RequestContext, condition: ColumnElement[bool]) -> tuple[int, list[tuple[str, int]]]:
    """countAssets(where) and its split by status, in one GROUP BY (the groups add up to the count)."""
    rows = (
        await ctx.execute(select(Asset.status, func.count()).select_from(Asset).where(condition).group_by(Asset.status))
    ).all()
    counts = {status: int(n) for status, n in rows}
    return sum(counts.values()), by_count_then_key(counts)


async def _time_rows(
    ctx: RequestContext, times: TimeBucketsInput, shape: BucketShape, condition: ColumnElement[bool], field: str
) -> Any:
    """A metadata time that looks like ISO-8601 but names no real instant (Feb 30, a year past
    294276) fails the cast in PostgreSQL: that is the caller's data, so BAD_USER_INPUT."""
    try:
        return list((await ctx.execute(buckets.times_statement(times, shape, condition, field))).all())
    except DBAPIError as exc:
        if times.metadata_key is None or getattr(exc.orig, "sqlstate", None) not in _BAD_TIME_STATES:
            raise
        raise BadUserInput(
            f"{field}: metadata key '{times.metadata_key}' holds a value that is not a valid time "
            "(an ISO-8601 string naming no real instant, or epoch seconds out of range)."
        ) from exc


# invalid_datetime_format, datetime_field_overflow, invalid_parameter_value (to_timestamp),
# numeric_value_out_of_range
_BAD_TIME_STATES = {"22007", "22008", "22023", "22003"}
