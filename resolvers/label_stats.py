"""Statistics over labels: `labelSources` and `labelCategories` over any LabelWhere, and the per-asset
`Asset.labelStats` (batched by a loader).

Categories are read from a label's json response the way Kili's label search counts them
(resolvers/filters/label_search.py): per job, the classification answers
`{"JOB": {"categories": [{"name": C}]}}` and the categories of its object annotations
`{"JOB": {"annotations": [{"categories": [{"name": C}]}]}}`; each occurrence counts once. Child jobs,
which Kili nests under the `children` of a category or an annotation, are not read (the label search
does not read them either): only top-level jobs count.

`Asset.labelStats.byCategory` counts the asset's *current annotation*: its latest DEFAULT or REVIEW
label (created time, then id), not all its labels. Summing every label would count an object once
per labeler and again per review (a REVIEW label restates the labeler's answer), which says nothing
about the asset. Predictions and inferences are not counted there: `labelCategories(where: {asset:
{id}, typeIn: [PREDICTION], modelNameIn: [...]})` answers for one model. `total` and `byType` count
every label of the asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, TableValuedAlias, Text, case, cast, column, distinct, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, JSONPATH, aggregate_order_by

from gateway.context import RequestContext
from gateway.db.models import Label
from resolvers.arrays import any_id
from resolvers.filters.label_where import compile_label_where
from schema.inputs.where import LabelWhere

# The label types whose latest label is an asset's current annotation (Asset.labelStats.byCategory).
ANNOTATION_TYPES = ("DEFAULT", "REVIEW")
# A job's value and its object annotations all hold `categories`: one jsonpath over the array
# [job value, ...its annotations] reaches both kinds of answers in one pass.
_CATEGORY_NAMES = "lax $[*].categories[*].name"


@dataclass(frozen=True)
class LabelSource:
    label_type: str
    model_name: str | None
    count: int
    asset_count: int


@dataclass(frozen=True)
class CategoryCount:
    job: str
    category: str
    count: int  # occurrences
    label_count: int = 0
    asset_count: int = 0


@dataclass
class AssetLabelStats:
    total: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    annotation_label_id: str | None = None
    by_category: list[CategoryCount] = field(default_factory=list)

    @property
    def annotation_count(self) -> int:
        return sum(c.count for c in self.by_category)


def category_occurrences(json_response: ColumnElement) -> tuple[TableValuedAlias, ColumnElement, ColumnElement]:
    """The category occurrences of a json response column, as (FROM item, job, category): select `job` and
    `category` from the FROM item `jsonb_each(json_response) AS job` (which joins the column's table
    implicitly); `category` is a set-returning expression: one row per occurrence, none for a job
    without any. A json response that is not an object has no jobs. For any statistic by category."""
    as_object = case((func.jsonb_typeof(json_response) == "object", json_response), else_=literal({}, JSONB))
    jobs = (
        func.jsonb_each(as_object)
        .table_valued(column("key", Text), column("value", JSONB), joins_implicitly=True)
        .render_derived(name="job")
    )
    annotations = jobs.c.value["annotations"]
    holders = func.jsonb_build_array(jobs.c.value).op("||")(
        case((func.jsonb_typeof(annotations) == "array", annotations), else_=literal([], JSONB))
    )
    names = func.jsonb_path_query(holders, cast(literal(_CATEGORY_NAMES), JSONPATH))
    category = names.op("#>>")(literal([], ARRAY(Text)))
    return jobs, jobs.c.key, category


async def label_sources(ctx: RequestContext, where: LabelWhere | None) -> list[LabelSource]:
    """Distinct (label type, model name) among the matched labels, with their label and asset counts;
    most labels first, then type and model name. One statement."""
    rows = (
        await ctx.execute(
            select(Label.label_type, Label.model_name, func.count(), func.count(distinct(Label.asset_id)))
            .where(compile_label_where(where, ctx.viewer))
            .group_by(Label.label_type, Label.model_name)
            .order_by(func.count().desc(), Label.label_type, Label.model_name.nulls_first())
        )
    ).all()
    return [LabelSource(*row) for row in rows]


async def label_categories(ctx: RequestContext, where: LabelWhere | None) -> list[CategoryCount]:
    """Per (job, category) among the matched labels: occurrences, labels and assets having it; most
    occurrences first, then job and category. One statement."""
    jobs, job, category = category_occurrences(Label.json_response)
    occurrences = (
        select(job.label("job"), category.label("category"), Label.id.label("label_id"), Label.asset_id)
        .select_from(Label, jobs)
        .where(compile_label_where(where, ctx.viewer))
        .subquery("occurrence")
    )
    o = occurrences.c
    count = func.count()
    rows = (
        await ctx.execute(
            select(o.job, o.category, count, func.count(distinct(o.label_id)), func.count(distinct(o.asset_id)))
            .where(o.category.is_not(None))
            .group_by(o.job, o.category)
            .order_by(count.desc(), o.job, o.category)
        )
    ).all()
    return [CategoryCount(*row) for row in rows]


async def label_stats_of_assets(ctx: RequestContext, asset_ids: list[str]) -> list[AssetLabelStats]:
    """Asset.labelStats of each asset (module docstring). Two statements per batch, whatever its size:
    label counts per type with each type's newest label, then the categories of the current annotations.
    The assets come from rows the viewer could already see, and labels share their asset's project."""
    newest = aggregate_order_by(Label.id, Label.created_at.desc(), Label.id.desc())
    newest_at = aggregate_order_by(Label.created_at, Label.created_at.desc(), Label.id.desc())
    rows = (
        await ctx.execute(
            select(
                Label.asset_id,
                Label.label_type,
                func.count(),
                func.array_agg(newest)[1],
                func.array_agg(newest_at)[1],
            )
            .where(any_id(Label.asset_id, asset_ids))
            .group_by(Label.asset_id, Label.label_type)
        )
    ).all()
    stats = {asset_id: AssetLabelStats() for asset_id in asset_ids}
    current: dict[str, tuple] = {}
    for asset_id, label_type, count, newest_id, newest_time in rows:
        entry = stats[asset_id]
        entry.total += count
        entry.by_type[label_type] = count
        if label_type in ANNOTATION_TYPES and (asset_id not in current or (newest_time, newest_id) > current[asset_id]):
            current[asset_id] = (newest_time, newest_id)
    for asset_id, (_, label_id) in current.items():
        stats[asset_id].annotation_label_id = label_id
    if current:
        jobs, job, category = category_occurrences(Label.json_response)
        occurrences = (
            select(Label.asset_id, job.label("job"), category.label("category"))
            .select_from(Label, jobs)
            .where(any_id(Label.id, [label_id for _, label_id in current.values()]))
            .subquery("occurrence")
        )
        o = occurrences.c
        counted = (
            await ctx.execute(
                select(o.asset_id, o.job, o.category, func.count())
                .where(o.category.is_not(None))
                .group_by(o.asset_id, o.job, o.category)
                .order_by(o.asset_id, func.count().desc(), o.job, o.category)
            )
        ).all()
        for asset_id, job_name, category_name, count in counted:
            stats[asset_id].by_category.append(CategoryCount(job_name, category_name, count))
    return [stats[asset_id] for asset_id in asset_ids]
