"""metadataFields: every metadata key of the matched assets, nested keys dotted, with its JSON
types, how many assets have it, numeric min/max and exact cardinality. One statement: a recursive
walk of json_metadata (depth bounded by metadata_keys.MAX_KEY_DEPTH)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Numeric, Text, case, cast, func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, array_agg

from gateway.context import RequestContext
from gateway.db.models import Asset
from resolvers.filters.asset_where import compile_asset_where
from resolvers.filters.metadata_keys import MAX_KEY_DEPTH
from resolvers.stats.metrics import as_float
from schema.inputs.where import AssetWhere

MAX_FIELDS = 1000


@dataclass(frozen=True)
class FieldStats:
    key: str
    json_types: list[str]
    count: int
    min: float | None
    max: float | None
    cardinality: int


def _object_or_empty(value: Any) -> Any:
    """jsonb_each fails on anything but an object, and a WHERE gives no order of evaluation."""
    return case((func.jsonb_typeof(value) == "object", value), else_=literal({}, JSONB))


async def metadata_fields(ctx: RequestContext, where: AssetWhere | None) -> list[FieldStats]:
    """The first MAX_FIELDS keys in key order."""
    top = func.jsonb_each(_object_or_empty(Asset.json_metadata)).table_valued("key", "value").render_derived(name="top")
    seeds = (
        select(
            Asset.id.label("asset_id"),
            cast(top.c.key, Text).label("key"),
            cast(top.c.value, JSONB).label("value"),
            literal(1, Integer).label("depth"),
        )
        .select_from(Asset)
        .join(top, true())
        .where(compile_asset_where(where, ctx.viewer))
        .cte("fields", recursive=True)
    )
    inner = (
        func.jsonb_each(_object_or_empty(seeds.c.value)).table_valued("key", "value").render_derived(name="inner_field")
    )
    fields = seeds.union_all(
        select(seeds.c.asset_id, seeds.c.key + "." + inner.c.key, inner.c.value, seeds.c.depth + 1)
        .select_from(seeds)
        .join(inner, true())
        .where(func.jsonb_typeof(seeds.c.value) == "object", seeds.c.depth < MAX_KEY_DEPTH)
    )
    kind = func.jsonb_typeof(fields.c.value)
    number = case(
        (kind == "number", cast(fields.c.value.op("#>>", return_type=Text)(literal([], ARRAY(Text))), Numeric))
    )
    rows = (
        await ctx.execute(
            select(
                fields.c.key,
                array_agg(kind.distinct()),
                func.count(fields.c.asset_id.distinct()),
                func.min(number),
                func.max(number),
                func.count(fields.c.value.distinct()),
            )
            .group_by(fields.c.key)
            .order_by(fields.c.key)
            .limit(MAX_FIELDS)
        )
    ).all()
    return [
        FieldStats(
            key=key,
            json_types=sorted(types),
            count=int(count),
            min=as_float(low),
            max=as_float(high),
            cardinality=int(distinct),
        )
        for key, types, count, low, high, distinct in rows
    ]
