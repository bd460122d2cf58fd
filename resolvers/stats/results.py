"""What statistics answer: plain dataclasses the schema types turn into GraphQL objects."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MetricResult:
    op: str
    metadata_key: str
    value: float | None
    value_count: int


@dataclass(frozen=True)
class BucketResult:
    key: str
    count: int
    by_status: list[tuple[str, int]] = field(default_factory=list)
    metrics: list[MetricResult] = field(default_factory=list)


@dataclass(frozen=True)
class AggregationResult:
    name: str
    buckets: list[BucketResult]
    other_count: int
    missing_count: int
    dimension: str | None = None  # a terms aggregation's dimension (its keys are ids for SET, SESSION, ASSIGNEE)


@dataclass(frozen=True)
class StatsResult:
    total: int
    by_status: list[tuple[str, int]]
    aggregations: list[AggregationResult] = field(default_factory=list)
    metrics: list[MetricResult] = field(default_factory=list)


def by_count_then_key(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Non-zero counts, most frequent first, then by key."""
    return sorted(((k, n) for k, n in counts.items() if n), key=lambda item: (-item[1], item[0]))
