"""Range and time bucket aggregations: numeric `[from, to)` ranges over a metadata key, and time
buckets (explicit `[from, to)` ranges, or a fixed interval) over created/updated time, the asset
timestamp or a metadata key. One statement each.

Explicit ranges may overlap (an asset counts in each of its ranges); `missingCount` counts assets
without a usable value (absent, JSON null, or not a number / not a time), `otherCount` assets with a
value in none of the ranges. Interval buckets list the non-empty buckets in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Numeric,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY

from gateway.db.models import Asset
from gateway.errors import BadUserInput
from resolvers.filters.metadata_keys import key_path, metadata_text, metadata_value
from resolvers.filters.values import lower_bound
from resolvers.stats.bucket_columns import BucketShape
from resolvers.stats.metrics import checked_metrics, number_at
from resolvers.stats.results import AggregationResult, BucketResult
from schema.inputs.stats import RangeBucketsInput, TimeBucketsInput, TimeField
from schema.timefmt import iso

MAX_RANGES = 100
MAX_INTERVAL_BUCKETS = 1000
MAX_COLUMNS = 1600  # below PostgreSQL's 1664 target-list entries
DEFAULT_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
# Strings that cast to timestamptz: ISO-8601 dates and times with an optional zone. A string that
# matches but names no real day (Feb 30) still fails the cast: resolvers/stats/asset_stats.py turns
# that into BAD_USER_INPUT.
ISO_TIME = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?$"
)


def _number(value: float, field: str) -> Decimal:
    if value != value or value in (float("inf"), float("-inf")):
        raise BadUserInput(f"{field}: bounds must be finite numbers.")
    return Decimal(str(value))


def _range_key(low: Any, high: Any) -> str:
    return f"{'*' if low is None else low}..{'*' if high is None else high}"


def _check_columns(count: int, metrics: list | None, field: str) -> None:
    """PostgreSQL answers at most 1664 columns: each range costs 1 + 5 statuses + 2 per metric."""
    per_range = BucketShape(metrics or []).width
    if count * per_range + 2 > MAX_COLUMNS:
        raise BadUserInput(
            f"{field}: {count} ranges with {len(metrics or [])} metrics each make {count * per_range} columns, "
            f"at most {MAX_COLUMNS - 2}; ask fewer ranges or metrics."
        )


def _in_range(value: ColumnElement[Any], low: Any, high: Any) -> ColumnElement[bool]:
    conditions = [value.is_not(None)]
    if low is not None:
        conditions.append(value >= low)
    if high is not None:
        conditions.append(value < high)
    return and_(*conditions)


@dataclass(frozen=True)
class RangePlan:
    """How one range aggregation is computed.

    Disjoint ranges (the usual case: [0, 30), [30, 60), ...) are one GROUP BY over
    `width_bucket(value, thresholds)`: the value is computed once per asset and each asset lands in
    one group, which PostgreSQL aggregates in parallel (measured on 1M assets: 4 ranges in 230 ms,
    against 1.2 s for FILTER counts). The groups are the intervals between the sorted bounds; each
    range is the intervals it covers, the others are `otherCount`, the NULL group `missingCount`.
    Overlapping ranges count an asset in several buckets, which no GROUP BY does: they are FILTER
    aggregates over one row."""

    raw_bounds: list[tuple[Any, Any]]  # (from, to) per range, None for an open end
    thresholds: list[Any]  # the distinct bounds, sorted

    @classmethod
    def of(cls, raw_bounds: list[tuple[Any, Any]]) -> RangePlan:
        return cls(raw_bounds, sorted({b for pair in raw_bounds for b in pair if b is not None}))

    @property
    def disjoint(self) -> bool:
        ordered = sorted(self.raw_bounds, key=lambda b: (b[0] is not None, b[0] if b[0] is not None else 0))
        return all(
            high is not None and low is not None and low >= high
            for (_, high), (low, _) in zip(ordered, ordered[1:], strict=False)
        )

    def interval_of_range(self) -> dict[int, int]:
        """width_bucket's interval number → the range that is that interval. Interval k is
        [thresholds[k-1], thresholds[k]), with -inf and +inf at the ends; a disjoint range is exactly
        one interval (a threshold inside it would be a bound of a range overlapping it)."""
        covering = {}
        for i, (low, high) in enumerate(self.raw_bounds):
            first = 0 if low is None else self.thresholds.index(low) + 1
            last = len(self.thresholds) if high is None else self.thresholds.index(high)
            covering.update(dict.fromkeys(range(first, last + 1), i))
        return covering


def _ranges_statement(
    value: ColumnElement[Any],
    bounds: list[tuple[Any, Any]],
    plan: RangePlan,
    threshold_type: Any,
    condition: ColumnElement[bool],
    shape: BucketShape,
) -> Select:
    if plan.disjoint:
        interval = func.width_bucket(value, literal(plan.thresholds, ARRAY(threshold_type)))
        return (
            select(interval.label("interval"), *shape.columns())
            .select_from(Asset)
            .where(condition)
            .group_by(literal_column("1"))
        )
    return _overlapping_ranges_statement(value, bounds, condition, shape)


def _overlapping_ranges_statement(
    value: ColumnElement[Any], bounds: list[tuple[Any, Any]], condition: ColumnElement[bool], shape: BucketShape
) -> Select:
    """One row: per range its bucket columns, then the missing and the outside-every-range counts.
    The value is computed once per asset in a LATERAL (OFFSET 0 keeps PostgreSQL from inlining it
    into each of the 3 × ranges + 2 places that read it)."""
    valued = select(value.label("v")).offset(0).correlate(Asset).lateral("valued")
    v = valued.c.v
    in_ranges = [_in_range(v, low, high) for low, high in bounds]
    columns = [c for within in in_ranges for c in shape.columns(within)]
    missing = func.count().filter(v.is_(None))
    outside = func.count().filter(and_(v.is_not(None), *[~r for r in in_ranges]))
    return select(*columns, missing, outside).select_from(Asset).join(valued, true()).where(condition)


def _read_ranges(name: str, keys: list[str], rows: list[Any], plan: RangePlan, shape: BucketShape) -> AggregationResult:
    if not plan.disjoint:
        row = rows[0]
        size = shape.width
        buckets = [shape.read(key, row[i * size : (i + 1) * size]) for i, key in enumerate(keys)]
        return AggregationResult(name=name, buckets=buckets, other_count=int(row[-1]), missing_count=int(row[-2]))
    covering = plan.interval_of_range()
    per_range: dict[int, list[Any]] = {}
    missing = outside = 0
    for row in rows:
        interval, values = row[0], list(row[1:])
        if interval is None:
            missing = int(values[0])
        elif interval in covering:
            per_range[covering[interval]] = values
        else:
            outside += int(values[0])
    buckets = [shape.read(key, per_range.get(i) or shape.empty_values()) for i, key in enumerate(keys)]
    return AggregationResult(name=name, buckets=buckets, other_count=outside, missing_count=missing)


# --- numeric ranges ----------------------------------------------------------------------------


def check_ranges(ranges: RangeBucketsInput, field: str) -> None:
    if not 1 <= len(ranges.ranges) <= MAX_RANGES:
        raise BadUserInput(f"{field}.ranges: give 1 to {MAX_RANGES} ranges, got {len(ranges.ranges)}.")
    for i, r in enumerate(ranges.ranges):
        if r.from_ is not None and r.to is not None and r.from_ >= r.to:
            raise BadUserInput(f"{field}.ranges[{i}]: from ({r.from_}) must be below to ({r.to}).")
    key_path(ranges.metadata_key, f"{field}.metadataKey")
    checked_metrics(ranges.metrics, f"{field}.metrics")
    _check_columns(len(ranges.ranges), ranges.metrics, field)


def ranges_statement(
    ranges: RangeBucketsInput, shape: BucketShape, condition: ColumnElement[bool], field: str
) -> Select:
    raw = _number_bounds(ranges, field)
    bounds = [tuple(None if b is None else literal(b, Numeric) for b in pair) for pair in raw]
    return _ranges_statement(number_at(ranges.metadata_key), bounds, RangePlan.of(raw), Numeric, condition, shape)


def _number_bounds(ranges: RangeBucketsInput, field: str) -> list[tuple[Decimal | None, Decimal | None]]:
    return [
        (
            None if r.from_ is None else _number(r.from_, f"{field}.ranges[{i}].from"),
            None if r.to is None else _number(r.to, f"{field}.ranges[{i}].to"),
        )
        for i, r in enumerate(ranges.ranges)
    ]


def read_ranges(ranges: RangeBucketsInput, shape: BucketShape, rows: list[Any], field: str) -> AggregationResult:
    keys = [_range_key(r.from_, r.to) for r in ranges.ranges]
    plan = RangePlan.of(_number_bounds(ranges, field))
    return _read_ranges(ranges.name or ranges.metadata_key, keys, rows, plan, shape)


# --- time buckets ------------------------------------------------------------------------------


def check_times(times: TimeBucketsInput, field: str) -> None:
    if times.field == TimeField.METADATA and not times.metadata_key:
        raise BadUserInput(f"{field}: field METADATA needs a metadataKey.")
    if times.field != TimeField.METADATA and times.metadata_key is not None:
        raise BadUserInput(f"{field}: metadataKey only applies to field METADATA, not {times.field.value}.")
    if (times.interval_seconds is None) == (times.ranges is None):
        raise BadUserInput(f"{field}: give either intervalSeconds or ranges.")
    if times.interval_seconds is not None and times.interval_seconds < 1:
        raise BadUserInput(f"{field}.intervalSeconds must be at least 1, got {times.interval_seconds}.")
    if times.ranges is not None:
        if times.origin is not None:
            raise BadUserInput(f"{field}: origin only applies to intervalSeconds.")
        if not 1 <= len(times.ranges) <= MAX_RANGES:
            raise BadUserInput(f"{field}.ranges: give 1 to {MAX_RANGES} ranges, got {len(times.ranges)}.")
        for i, (low, high) in enumerate(_time_bounds(times, field)):
            if low is not None and high is not None and low >= high:
                raise BadUserInput(f"{field}.ranges[{i}]: from must be before to.")
    checked_metrics(times.metrics, f"{field}.metrics")
    if times.ranges is not None:
        _check_columns(len(times.ranges), times.metrics, field)


def times_name(times: TimeBucketsInput) -> str:
    return times.name or times.metadata_key or times.field.value


def _time_bounds(times: TimeBucketsInput, field: str) -> list[tuple[datetime | None, datetime | None]]:
    return [
        (
            None if r.from_ is None else lower_bound(r.from_, f"{field}.ranges[{i}].from"),
            None if r.to is None else lower_bound(r.to, f"{field}.ranges[{i}].to"),
        )
        for i, r in enumerate(times.ranges or [])
    ]


def time_value(times: TimeBucketsInput, field: str) -> ColumnElement[Any]:
    """The time an asset has for this aggregation, NULL when it has none."""
    match times.field:
        case TimeField.CREATED_AT:
            return Asset.created_at
        case TimeField.UPDATED_AT:
            return Asset.updated_at
        case TimeField.TIMESTAMP:
            return Asset.timestamp
    key = times.metadata_key or ""
    stored = metadata_value(Asset.json_metadata, key, f"{field}.metadataKey")
    text = metadata_text(Asset.json_metadata, key, f"{field}.metadataKey")
    return case(
        (func.jsonb_typeof(stored) == "number", func.to_timestamp(cast(text, Numeric))),
        (and_(func.jsonb_typeof(stored) == "string", text.regexp_match(ISO_TIME)), cast(text, DateTime(timezone=True))),
        else_=None,
    )


def times_statement(times: TimeBucketsInput, shape: BucketShape, condition: ColumnElement[bool], field: str) -> Select:
    value = time_value(times, field)
    if times.ranges is not None:
        raw = _time_bounds(times, field)
        bounds = [tuple(None if b is None else literal(b, DateTime(timezone=True)) for b in pair) for pair in raw]
        return _ranges_statement(value, bounds, RangePlan.of(raw), DateTime(timezone=True), condition, shape)
    origin = DEFAULT_ORIGIN if times.origin is None else lower_bound(times.origin, f"{field}.origin")
    start = func.date_bin(
        func.make_interval(0, 0, 0, 0, 0, 0, literal(times.interval_seconds)),
        value,
        literal(origin, DateTime(timezone=True)),
    )
    return (
        select(start.label("key"), *shape.columns())
        .select_from(Asset)
        .where(condition)
        .group_by(literal_column("1"))
        .order_by(literal_column("1").nulls_first())
        # The NULL (missing) group, then one more bucket than allowed, to tell "too many".
        .limit(MAX_INTERVAL_BUCKETS + 2)
    )


def read_times(times: TimeBucketsInput, shape: BucketShape, rows: list[Any], field: str) -> AggregationResult:
    if times.ranges is not None:
        raw = _time_bounds(times, field)
        keys = [_range_key(iso(low), iso(high)) for low, high in raw]
        return _read_ranges(times_name(times), keys, rows, RangePlan.of(raw), shape)
    missing = 0
    buckets: list[BucketResult] = []
    for row in rows:
        if row[0] is None:
            missing = int(row[1])
        else:
            buckets.append(shape.read(iso(row[0]) or "", row[1:]))
    if len(buckets) > MAX_INTERVAL_BUCKETS:
        raise BadUserInput(
            f"{field}: intervalSeconds {times.interval_seconds} gives more than {MAX_INTERVAL_BUCKETS} buckets; "
            "take a wider interval or a narrower where."
        )
    return AggregationResult(name=times_name(times), buckets=buckets, other_count=0, missing_count=missing)
