"""Dotted metadata keys: `"camera.position.x"` addresses `{"camera": {"position": {"x": ...}}}`.

Every place that takes a metadata key (filters, statistics, orderBy, metadata writes) reads it here,
so a key means the same thing everywhere (SceneBox's nested fields / `is_nested`). A dot always
descends: a top-level key that itself contains a dot cannot be addressed by name.

Keys the operator indexed (gateway/db/metadata_columns.py) have a generated column holding
`json_metadata #> path`; for them `metadata_value` answers that column instead, so every consumer
gets the index without knowing about it. `indexed_keys` holds the ones the current request uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, cast, func, literal
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.types import Text

from gateway.db.models import Asset
from gateway.errors import BadUserInput

MAX_KEY_LENGTH = 256
MAX_KEY_DEPTH = 16

# Dotted key → generated column of `asset`, for the keys indexed when the current request began.
indexed_keys: ContextVar[Mapping[str, str]] = ContextVar(
    "labelgate_indexed_metadata_keys", default=MappingProxyType({})
)


def key_path(key: str, field: str = "metadataKey") -> list[str]:
    """The path a dotted key names. Empty keys, empty segments ("a..b", ".a") and over-long or
    over-deep keys are BAD_USER_INPUT naming `field`."""
    if not isinstance(key, str) or not key:
        raise BadUserInput(f"{field}: a metadata key must be a non-empty string such as 'weather' or 'camera.id'.")
    if len(key) > MAX_KEY_LENGTH:
        raise BadUserInput(f"{field}: metadata key is {len(key)} characters long, at most {MAX_KEY_LENGTH}.")
    path = key.split(".")
    if any(segment == "" for segment in path):
        raise BadUserInput(f"{field}: '{key}' has an empty segment; dots separate the names of nested objects.")
    if len(path) > MAX_KEY_DEPTH:
        raise BadUserInput(f"{field}: '{key}' is nested {len(path)} levels deep, at most {MAX_KEY_DEPTH}.")
    return path


def indexed_column(column: Any, key: str) -> ColumnElement[Any] | None:
    """The generated column holding `asset.json_metadata` at `key`, when the key is indexed."""
    name = indexed_keys.get().get(key) if column is Asset.json_metadata else None
    return None if name is None else ColumnClause(name, JSONB, _selectable=Asset.__table__)


def metadata_value(column: Any, key: str, field: str = "metadataKey") -> ColumnElement[Any]:
    """The jsonb value at a dotted key of a jsonb column (SQL NULL when absent): `column #> path`,
    the path bound as one text[] parameter, or the key's generated column when it is indexed."""
    path = key_path(key, field)
    indexed = indexed_column(column, key)
    if indexed is not None:
        return indexed
    if len(path) == 1:
        return column[path[0]]
    return column.op("#>", return_type=JSONB)(literal(path, ARRAY(Text)))


def metadata_text(column: Any, key: str, field: str = "metadataKey") -> ColumnElement[str]:
    """The value at a dotted key as text (`#>>`): strings unquoted, other JSON as its text."""
    path = key_path(key, field)
    indexed = indexed_column(column, key)
    if indexed is not None:
        return indexed.op("#>>", return_type=Text)(literal([], ARRAY(Text)))
    return column.op("#>>", return_type=Text)(literal(path, ARRAY(Text)))


def nested_object(key: str, value: Any, field: str = "metadataKey") -> dict[str, Any]:
    """`{"a": {"b": value}}` for key "a.b": the document a containment (`@>`) test or a merge needs."""
    document: Any = value
    for segment in reversed(key_path(key, field)):
        document = {segment: document}
    return document


def jsonb_literal(value: Any) -> ColumnElement[Any]:
    """`CAST($1 AS jsonb)` for any JSON value, JSON null included (a bound None would be SQL NULL)."""
    return cast(literal(json.dumps(value)), JSONB)


def jsonb_typeof(value: ColumnElement[Any]) -> ColumnElement[str]:
    return func.jsonb_typeof(value)
