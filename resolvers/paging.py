"""Paging: Kili's `first`/`skip`, and keyset cursors for UIs that page deep.

Every list is ordered by (created_at, id) (sessions' assets: by timestamp, then id). A cursor is
the opaque, URL-safe encoding of the last row's sort key; the next page is the rows strictly
after it, which an index on (..., created_at, id) serves without scanning skipped rows.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, tuple_

from gateway.errors import BadUserInput


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The sort key a cursor holds. Anything encode_cursor cannot have made (a naive or unstorable time,
    an id that is not a string or holds NUL) is BAD_USER_INPUT: cursors are opaque, not a query language."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        instant = datetime.fromisoformat(created_at)
        if instant.tzinfo is None or not isinstance(row_id, str) or "\x00" in row_id:
            raise ValueError("not a cursor of ours")
        instant.astimezone(UTC)  # a time of year 0 or 10000 fails here instead of in PostgreSQL
        return instant, row_id
    except (ValueError, TypeError, OverflowError):
        raise BadUserInput(f"Malformed cursor '{cursor}': pass a pageInfo.endCursor you received.") from None


def offset_page(statement: Select, created_at: Any, row_id: Any, first: int, skip: int) -> Select:
    return statement.order_by(created_at, row_id).offset(skip).limit(first)


def keyset_page(statement: Select, created_at: Any, row_id: Any, first: int, after: str | None) -> Select:
    """`first + 1` rows after the cursor: the extra row tells whether there is a next page."""
    if after is not None:
        after_time, after_id = decode_cursor(after)
        condition: ColumnElement[bool] = tuple_(created_at, row_id) > tuple_(after_time, after_id)
        statement = statement.where(condition)
    return statement.order_by(created_at, row_id).limit(first + 1)
