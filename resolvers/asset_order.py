"""`orderBy` on asset lists → an Ordering over `asset` (resolvers/paging.py), the id last."""

from __future__ import annotations

from typing import Any

from gateway.db.models import Asset
from gateway.errors import BadUserInput
from resolvers.filters.metadata_keys import key_path, metadata_value
from resolvers.paging import KeyKind, Ordering, SortTerm, creation_order
from schema.inputs.order import AssetOrderBy, AssetOrderField, OrderDirection

MAX_ORDER_TERMS = 5

# field → (column, how its value travels in a cursor, whether it can be NULL)
_COLUMNS: dict[AssetOrderField, tuple[Any, KeyKind, bool]] = {
    AssetOrderField.CREATED_AT: (Asset.created_at, KeyKind.TIME, False),
    AssetOrderField.UPDATED_AT: (Asset.updated_at, KeyKind.TIME, False),
    AssetOrderField.TIMESTAMP: (Asset.timestamp, KeyKind.TIME, True),
    AssetOrderField.PRIORITY: (Asset.priority, KeyKind.INTEGER, False),
    AssetOrderField.EXTERNAL_ID: (Asset.external_id, KeyKind.TEXT, False),
}

DEFAULT_ASSET_ORDER = creation_order(Asset.created_at, Asset.id)


def asset_ordering(order_by: list[AssetOrderBy] | None) -> Ordering:
    """The ordering `orderBy` asks for; none (or `[]`) is the default (created time, id)."""
    if not order_by:
        return DEFAULT_ASSET_ORDER
    if len(order_by) > MAX_ORDER_TERMS:
        raise BadUserInput(f"orderBy: {len(order_by)} keys, at most {MAX_ORDER_TERMS}.")
    terms = [_term(item, f"orderBy[{i}]") for i, item in enumerate(order_by)]
    names = [t.name for t in terms]
    for name in names:
        if names.count(name) > 1:
            raise BadUserInput(f"orderBy: {name} is given twice; give each sort key once.")
    terms.append(SortTerm("id", Asset.id, KeyKind.TEXT, descending=terms[-1].descending))
    return Ordering(tuple(terms))


def _term(item: AssetOrderBy, field: str) -> SortTerm:
    descending = item.direction is OrderDirection.DESC
    if item.field is AssetOrderField.METADATA:
        if item.metadata_key is None:
            raise BadUserInput(f"{field}: field METADATA needs a metadataKey, e.g. 'speed' or 'camera.id'.")
        key = ".".join(key_path(item.metadata_key, f"{field}.metadataKey"))
        expression = metadata_value(Asset.json_metadata, key, f"{field}.metadataKey")
        return SortTerm(f"METADATA({key})", expression, KeyKind.JSON, descending, nullable=True)
    if item.metadata_key is not None:
        raise BadUserInput(f"{field}: metadataKey goes with field METADATA only, not {item.field.value}.")
    column, kind, nullable = _COLUMNS[item.field]
    return SortTerm(item.field.value, column, kind, descending, nullable=nullable)
