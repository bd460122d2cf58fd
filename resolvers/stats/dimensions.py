"""Terms aggregations: assets grouped by the values of one dimension, one statement each.

Each dimension is a key expression plus, for multi-valued dimensions, a LEFT JOIN (LATERAL where
the key needs DISTINCT) that gives an asset one row per distinct key, or one row with a NULL key
when it has none: the NULL group is `missingCount`. An asset counts once in every bucket of its keys,
so buckets of SET, SESSION, ASSIGNEE and the LABEL_* dimensions may add up to more than `total`.

LABEL_TYPE, LABEL_MODEL and LABEL_CATEGORY read every label of the asset (all authors, all types,
not only the latest), each distinct key once per asset; `labelTypeIn` narrows the labels read.
LABEL_CATEGORY keys are `JOB.CATEGORY`: the category names of the label's json response, as
classification answers (`{"JOB": {"categories": [{"name": C}]}}`) and inside object annotations
(`{"JOB": {"annotations": [{"categories": [{"name": C}]}]}}`), the same places Kili's label search
reads (resolvers/filters/label_search.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Text,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    values,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, JSONPATH
from sqlalchemy.orm import aliased

from gateway.db.models import Asset, AssetAssignee, Label, Session, SetAsset
from gateway.errors import BadUserInput
from resolvers.filters.metadata_keys import metadata_text
from resolvers.sessions import on_timeline_of
from resolvers.stats.bucket_columns import BucketShape
from resolvers.stats.metrics import checked_metrics
from resolvers.stats.results import AggregationResult
from schema.inputs.stats import AssetDimension, TermsInput

MAX_SIZE = 1000
LABEL_DIMENSIONS = (AssetDimension.LABEL_TYPE, AssetDimension.LABEL_MODEL, AssetDimension.LABEL_CATEGORY)
# Where category names sit in one job's answer; constant jsonpath texts (no user input).
CATEGORY_PATHS = ("lax $.categories[*].name", "lax $.annotations[*].categories[*].name")


@dataclass(frozen=True)
class Keyed:
    """Assets with one row per key: `key` over `source` (the asset table, maybe joined)."""

    key: ColumnElement[Any]
    source: FromClause


def check_terms(terms: TermsInput, field: str) -> None:
    if not 1 <= terms.size <= MAX_SIZE:
        raise BadUserInput(f"{field}.size must be between 1 and {MAX_SIZE}, got {terms.size}.")
    if terms.dimension == AssetDimension.METADATA and not terms.metadata_key:
        raise BadUserInput(f"{field}: dimension METADATA needs a metadataKey.")
    if terms.dimension != AssetDimension.METADATA and terms.metadata_key is not None:
        raise BadUserInput(f"{field}: metadataKey only applies to dimension METADATA, not {terms.dimension.value}.")
    if terms.label_type_in is not None and terms.dimension not in LABEL_DIMENSIONS:
        raise BadUserInput(f"{field}: labelTypeIn only applies to the LABEL_* dimensions, not {terms.dimension.value}.")
    checked_metrics(terms.metrics, f"{field}.metrics")


def terms_name(terms: TermsInput) -> str:
    return terms.name or terms.metadata_key or terms.dimension.value


def keyed_assets(terms: TermsInput, field: str) -> Keyed:
    asset = Asset.__table__
    match terms.dimension:
        case AssetDimension.STATUS:
            return Keyed(Asset.status, asset)
        case AssetDimension.SENSOR:
            return Keyed(Asset.sensor, asset)
        case AssetDimension.MIME_TYPE:
            return Keyed(Asset.mime_type, asset)
        case AssetDimension.METADATA:
            return Keyed(metadata_text(Asset.json_metadata, terms.metadata_key or "", f"{field}.metadataKey"), asset)
        case AssetDimension.SET:
            # (set_id, asset_id) is the primary key of set_asset: one row per set of the asset.
            return Keyed(SetAsset.set_id, asset.outerjoin(SetAsset, SetAsset.asset_id == Asset.id))
        case AssetDimension.ASSIGNEE:
            return Keyed(AssetAssignee.user_id, asset.outerjoin(AssetAssignee, AssetAssignee.asset_id == Asset.id))
        case AssetDimension.SESSION:
            # The rule of AssetWhere.sessionIdIn: a recording's own assets, and a slice's in its span.
            session = aliased(Session)
            sessions = (
                select(session.id.label("key")).where(on_timeline_of(session)).correlate(Asset).lateral("sessions")
            )
            return Keyed(sessions.c.key, asset.outerjoin(sessions, true()))
        case _:
            keys = _label_keys(terms).lateral("label_keys")
            return Keyed(keys.c.key, asset.outerjoin(keys, true()))


def _label_keys(terms: TermsInput) -> Select:
    """The distinct label-side keys of the (correlated) asset."""
    of_asset = [Label.asset_id == Asset.id]
    if terms.label_type_in is not None:
        of_asset.append(Label.label_type.in_([t.value for t in terms.label_type_in]))
    if terms.dimension == AssetDimension.LABEL_TYPE:
        return select(Label.label_type.label("key")).where(*of_asset).distinct().correlate(Asset)
    if terms.dimension == AssetDimension.LABEL_MODEL:
        return (
            select(Label.model_name.label("key"))
            .where(*of_asset, Label.model_name.is_not(None))
            .distinct()
            .correlate(Asset)
        )
    response = Label.json_response
    an_object = case((func.jsonb_typeof(response) == "object", response), else_=literal({}, JSONB))
    job = func.jsonb_each(an_object).table_valued("key", "value").render_derived(name="job")
    paths = values(column("path", Text), name="category_path").data([(p,) for p in CATEGORY_PATHS])
    found = (
        func.jsonb_path_query(job.c.value, cast(paths.c.path, JSONPATH))
        .table_valued("value")
        .render_derived(name="found")
    )
    category = found.c.value.op("#>>", return_type=Text)(literal([], ARRAY(Text)))
    return (
        select((job.c.key + "." + category).label("key"))
        .select_from(Label)
        .join(job, true())
        .join(paths, true())
        .join(found, true())
        .where(*of_asset, category.is_not(None))
        .distinct()
        .correlate(Asset)
    )


def terms_statement(terms: TermsInput, shape: BucketShape, condition: ColumnElement[bool], field: str) -> Select:
    """One statement: the `size` most frequent keys (count desc, then key), the NULL-key group
    (missing), and the sum of all non-NULL groups (so otherCount needs no second statement)."""
    keyed = keyed_assets(terms, field)
    columns = [c.label(f"c{i}") for i, c in enumerate(shape.columns())]
    grouped = (
        select(keyed.key.label("key"), *columns)
        .select_from(keyed.source)
        .where(condition)
        # By position: a key holding bound parameters (a metadata path) is a new expression each
        # time it is rendered, which PostgreSQL would not match with the selected one.
        .group_by(literal_column("1"))
        .subquery("grouped")
    )
    missing = grouped.c.key.is_(None)
    ranked = select(
        grouped,
        func.row_number().over(partition_by=missing, order_by=(grouped.c.c0.desc(), grouped.c.key)).label("rank"),
        func.sum(grouped.c.c0).over(partition_by=missing).label("group_total"),
    ).subquery("ranked")
    return select(ranked).where(or_(ranked.c.key.is_(None), ranked.c.rank <= terms.size)).order_by(ranked.c.rank)


def read_terms(terms: TermsInput, shape: BucketShape, rows: list[Any]) -> AggregationResult:
    buckets, missing, keyed_total = [], 0, 0
    for row in rows:
        values = [row[f"c{i}"] for i in range(shape.width)]
        if row["key"] is None:
            missing = int(row["c0"])
            continue
        keyed_total = int(row["group_total"])
        buckets.append(shape.read(str(row["key"]), values))
    return AggregationResult(
        name=terms_name(terms),
        buckets=buckets,
        other_count=keyed_total - sum(b.count for b in buckets),
        missing_count=missing,
        dimension=terms.dimension.value,
    )
