"""What the planner knows how to fetch: for each GraphQL object type it covers, the SQL that yields
each field's value exactly as the resolvers would serialize it.

A field is either a `Value` (a JSON-ready SQL expression over the type's row) or a `Relation` (a
correlated subquery returning the related object, or a JSON array of them, in the resolver's
order). A field missing here (signed URLs, statistics, anything computed in Python) makes the
document unplannable, and the resolvers answer it instead; so adding a field here is a promise
that its SQL matches its resolver, which `tests/test_planner.py` checks by running documents
through both paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Text, and_, cast, exists, func, literal_column, null, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from gateway.db.models import Asset, AssetAssignee, Label, Project, User

Row = FromClause  # the type's table, or an alias of it

URL_MARKER = "__labelgate_signed_url__"
EXPIRY_MARKER = "__labelgate_url_expiry__"


@dataclass(frozen=True)
class Value:
    """A scalar (or constant list) field: `sql(row)` is its JSON-ready value."""

    sql: Callable[[Row], ColumnElement[Any]]


@dataclass(frozen=True)
class Signed:
    """A value only Python can make from the row: a signed URL, or when it expires (`signed.py`).
    The SQL puts a marker object `{"<marker>" : "<storage key>"}` where the value goes (or, for
    content that is not in our bucket, the final value itself), and the answer's text is completed
    in Python before it is sent."""

    marker: str
    external: Callable[[Row], ColumnElement[Any]]  # the value when the asset's bytes are not ours


@dataclass(frozen=True)
class Embedded:
    """An object made of the same row's columns (`Asset.resolution`): null unless `present(row)`."""

    type_name: str
    present: Callable[[Row], ColumnElement[bool]]


@dataclass(frozen=True)
class Relation:
    """An object field: the rows of `table` that `join(outer, inner)` selects for an outer row, in
    `order(inner)`; `many` answers a JSON array (`[]` when none), else one object or null."""

    type_name: str
    table: Any
    join: Callable[[Row, Row], ColumnElement[bool]]
    order: Callable[[Row], list[Any]]
    many: bool


Field = Value | Signed | Embedded | Relation


def iso_time(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`schema.timefmt.iso` in SQL: UTC, milliseconds (truncated), `Z`."""
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')


def json_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A jsonb column as the JSON-encoded string the API carries (`{}` when null), passed through as
    PostgreSQL prints it: never decoded into Python objects and encoded again."""
    return cast(func.coalesce(column, cast(literal_column("'{}'"), JSONB)), Text)


def text_list(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.to_json(column), literal_column("'[]'::json"))


def latest_for_its_author(label: Row) -> ColumnElement[bool]:
    """No newer label (created time, then id) of the same author on the same asset."""
    newer = Label.__table__.alias()
    return ~exists(
        select(newer.c.id).where(
            newer.c.asset_id == label.c.asset_id,
            newer.c.author_id == label.c.author_id,
            tuple_(newer.c.created_at, newer.c.id) > tuple_(label.c.created_at, label.c.id),
        )
    ).correlate(label)


def by_foreign_key(type_name: str, table: Any, column_name: str) -> Relation:
    """The one row of `table` whose id the outer row's `column_name` holds."""
    return Relation(
        type_name, table, lambda outer, inner: inner.c.id == outer.c[column_name], lambda _inner: [], many=False
    )


def constant(sql_literal: str) -> Value:
    return Value(lambda _row: literal_column(sql_literal))


EMPTY_LIST = constant("'[]'::json")
NULL = Value(lambda _row: null())


def column(name: str) -> Value:
    return Value(lambda row: row.c[name])


def time_of(name: str) -> Value:
    return Value(lambda row: iso_time(row.c[name]))


ASSET_FIELDS: dict[str, Field] = {
    "id": column("id"),
    "externalId": column("external_id"),
    "projectId": column("project_id"),
    "jsonContent": column("json_content"),
    "jsonMetadata": Value(lambda row: json_text(row.c.json_metadata)),
    "createdAt": time_of("created_at"),
    "updatedAt": time_of("updated_at"),
    "isHoneypot": column("is_honeypot"),
    "isUsedForConsensus": column("is_used_for_consensus"),
    "skipped": column("skipped"),
    "skipReason": column("skip_reason"),
    "status": column("status"),
    "priority": column("priority"),
    "consensusMark": column("consensus_mark"),
    "honeypotMark": column("honeypot_mark"),
    "inferenceMark": column("inference_mark"),
    "currentStep": NULL,
    "ocrMetadata": NULL,
    "mimeType": column("mime_type"),
    "sizeBytes": column("size_bytes"),
    "sensor": column("sensor"),
    "timestamp": time_of("timestamp"),
    "sessionId": column("session_id"),
    "tags": Value(lambda row: text_list(row.c.tags)),
    "url": Signed(URL_MARKER, lambda row: func.to_json(row.c.content)),
    "content": Signed(URL_MARKER, lambda row: func.to_json(row.c.content)),
    "urlExpiresAt": Signed(EXPIRY_MARKER, lambda row: null()),
    "resolution": Embedded("Resolution", lambda row: and_(row.c.width.is_not(None), row.c.height.is_not(None))),
    # Visibility: an asset the viewer sees is in a project the viewer sees; labels and assignees
    # of a visible asset are visible (the loaders filter them no further either).
    "labels": Relation(
        "Label",
        Label.__table__,
        lambda asset, label: label.c.asset_id == asset.c.id,
        lambda label: [label.c.created_at, label.c.id],
        many=True,
    ),
    "latestLabel": Relation(
        "Label",
        Label.__table__,
        lambda asset, label: label.c.asset_id == asset.c.id,
        lambda label: [label.c.created_at.desc(), label.c.id.desc()],
        many=False,
    ),
    "project": by_foreign_key("Project", Project.__table__, "project_id"),
    "toBeLabeledBy": Relation(
        "User",
        User.__table__,
        lambda asset, user: user.c.id.in_(
            select(AssetAssignee.user_id).where(AssetAssignee.asset_id == asset.c.id).correlate(asset).scalar_subquery()
        ),
        lambda user: [user.c.email],
        many=True,
    ),
}

LABEL_FIELDS: dict[str, Field] = {
    "id": column("id"),
    "assetId": column("asset_id"),
    "projectId": column("project_id"),
    "authorId": column("author_id"),
    "jsonResponse": Value(lambda row: json_text(row.c.json_response)),
    "jsonResponseUrl": NULL,
    "labelType": column("label_type"),
    "secondsToLabel": column("seconds_to_label"),
    "modelName": column("model_name"),
    "consensusMark": column("consensus_mark"),
    "honeypotMark": column("honeypot_mark"),
    "createdAt": time_of("created_at"),
    "annotations": EMPTY_LIST,
    "isLatestLabelForUser": Value(lambda row: latest_for_its_author(row)),
    "author": by_foreign_key("User", User.__table__, "author_id"),
    # A label and its asset are in the same project: a visible label's asset is visible.
    "asset": Relation(
        "Asset",
        Asset.__table__,
        lambda label, asset: and_(asset.c.id == label.c.asset_id, asset.c.project_id == label.c.project_id),
        lambda asset: [],
        many=False,
    ),
}

RESOLUTION_FIELDS: dict[str, Field] = {
    "width": column("width"),
    "height": column("height"),
}

USER_FIELDS: dict[str, Field] = {
    "id": column("id"),
    "email": column("email"),
    "firstname": column("firstname"),
    "lastname": column("lastname"),
    "activated": column("activated"),
    "organizationId": column("organization_id"),
    "isOrganizationAdmin": column("is_org_admin"),
    "createdAt": time_of("created_at"),
}

PROJECT_FIELDS: dict[str, Field] = {
    "id": column("id"),
    "title": column("title"),
    "description": Value(lambda row: func.coalesce(row.c.description, "")),
    "inputType": column("input_type"),
    "jsonInterface": Value(lambda row: cast(row.c.json_interface, Text)),
    "instructions": column("instructions"),
    "tags": Value(lambda row: text_list(row.c.tags)),
    "archived": column("archived"),
    "starred": column("starred"),
    "createdAt": time_of("created_at"),
    "updatedAt": time_of("updated_at"),
    "workflowVersion": constant("'V1'"),
    "steps": EMPTY_LIST,
    "dataConnections": EMPTY_LIST,
    "consensusTotCoverage": constant("0"),
    "minConsensusSize": constant("1"),
    "reviewCoverage": constant("0"),
    "organizationId": column("organization_id"),
}

TYPES: dict[str, dict[str, Field]] = {
    "Asset": ASSET_FIELDS,
    "Label": LABEL_FIELDS,
    "User": USER_FIELDS,
    "Resolution": RESOLUTION_FIELDS,
    "Project": PROJECT_FIELDS,
}


def ordered_json_agg(value: ColumnElement[Any], order: list[Any]) -> ColumnElement[Any]:
    """`json_agg(value ORDER BY order)`, `[]` when there are no rows."""
    aggregated = func.json_agg(aggregate_order_by(value, *order)) if order else func.json_agg(value)
    return func.coalesce(aggregated, literal_column("'[]'::json"))
