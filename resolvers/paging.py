"""Paging: Kili's `first`/`skip`, and keyset cursors for UIs that page deep, forward and backward.

A list is ordered by an `Ordering`: sort terms, the row id always last as the tie-breaker, so the
order is total. Every list defaults to (created_at, id) ascending (sessions' assets: timestamp, id);
assets may be ordered otherwise (`orderBy`). NULLs (a missing timestamp, an absent metadata key) come
last in either direction, in the list and in the cursor condition alike.

A cursor is the opaque, URL-safe encoding of a row's sort key: `[created_at, id]` for the default
order, `{"orderBy": <signature>, "key": [...]}` for any other, so that a cursor handed to a request
that orders otherwise is refused instead of silently skipping rows. The page after a cursor is the
rows strictly beyond its key; the page before it, the rows strictly beyond it in the reversed order,
read back to front. With one direction and no nullable term the condition is a row comparison
`(created_at, id) > (:t, :id)`, which an index on (..., created_at, id) serves without scanning skipped
rows; otherwise it is the equivalent OR of prefixes, with NULLs placed last.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Integer, Select, Text, and_, cast, false, func, literal, or_, tuple_
from sqlalchemy.dialects.postgresql import JSONB

from gateway.errors import BadUserInput

MAX_CURSOR_LENGTH = 65536
INT4 = 2**31


class KeyKind(StrEnum):
    """How a sort term's value travels in a cursor."""

    TIME = "time"  # ISO-8601 with offset
    INTEGER = "integer"  # a JSON integer (int4)
    TEXT = "text"  # a string
    JSON = "json"  # the jsonb value's text (a JSON document), compared as jsonb


@dataclass(frozen=True)
class SortTerm:
    """One column (or expression) of an ordering."""

    name: str  # as the signature shows it: "CREATED_AT", "METADATA(camera.id)", "id"
    expression: Any
    kind: KeyKind
    descending: bool = False
    nullable: bool = False
    nulls_last: bool = True

    def clause(self) -> Any:
        ordered = self.expression.desc() if self.descending else self.expression.asc()
        if not self.nullable:
            return ordered
        return ordered.nulls_last() if self.nulls_last else ordered.nulls_first()

    def selected(self) -> Any:
        """What a query selects to build cursors from: jsonb as its text, so the cursor holds exactly
        the value PostgreSQL compares (no float rounding on the way through Python)."""
        return cast(self.expression, Text) if self.kind is KeyKind.JSON else self.expression

    def bound(self, value: Any) -> Any:
        if self.kind is KeyKind.JSON:
            return cast(literal(value, Text), JSONB)
        if self.kind is KeyKind.TIME:
            return literal(value, DateTime(timezone=True))
        if self.kind is KeyKind.INTEGER:
            return literal(value, Integer)
        return literal(value, Text)

    def beyond(self, value: Any) -> ColumnElement[bool] | None:
        """Rows strictly past `value` in this term's direction; None when none can be."""
        if value is None:
            return self.expression.is_not(None) if self.nullable and not self.nulls_last else None
        bound = self.bound(value)
        past = self.expression < bound if self.descending else self.expression > bound
        return or_(past, self.expression.is_(None)) if self.nullable and self.nulls_last else past

    def equal(self, value: Any) -> ColumnElement[bool]:
        return self.expression.is_(None) if value is None else self.expression == self.bound(value)

    def to_json(self, value: Any) -> Any:
        if value is None:
            return None
        return value.isoformat() if self.kind is KeyKind.TIME else value

    def from_json(self, value: Any) -> Any:
        """A cursor's value, checked as strictly as PostgreSQL would take it (else ValueError)."""
        if value is None:
            if not self.nullable:
                raise ValueError("null for a column that has no nulls")
            return None
        if self.kind is KeyKind.TIME:
            if not isinstance(value, str):
                raise ValueError("not a time")
            instant = datetime.fromisoformat(value)
            if instant.tzinfo is None:
                raise ValueError("a time without zone")
            instant.astimezone(UTC)  # a time of year 0 or 10000 fails here instead of in PostgreSQL
            return instant
        if self.kind is KeyKind.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int) or not -INT4 <= value < INT4:
                raise ValueError("not an int4")
            return value
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError("not a string")
        if self.kind is KeyKind.JSON:
            _check_json_text(value)
        return value


def _check_json_text(text: str) -> None:
    """PostgreSQL prints numbers in full and never stores NUL: anything else was not made by us."""

    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON PostgreSQL stores")

    def plain_float(token: str) -> float:
        if "e" in token.lower():
            refuse(token)
        return 0.0

    if "\\u0000" in text:
        refuse("NUL")
    json.loads(text, parse_constant=refuse, parse_float=plain_float)


@dataclass(frozen=True)
class Ordering:
    """Sort terms, the row id last."""

    terms: tuple[SortTerm, ...]

    @property
    def signature(self) -> str:
        return ", ".join(f"{t.name} {'DESC' if t.descending else 'ASC'}" for t in self.terms)

    @property
    def is_default(self) -> bool:
        return self.signature == DEFAULT_SIGNATURE

    def reversed(self) -> Ordering:
        """The same order read back to front (NULLs then come first)."""
        return Ordering(tuple(replace(t, descending=not t.descending, nulls_last=not t.nulls_last) for t in self.terms))

    def clauses(self) -> list[Any]:
        return [t.clause() for t in self.terms]

    def selected(self) -> list[Any]:
        return [t.selected() for t in self.terms]

    def beyond(self, key: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after `key` in this order."""
        plain = all(not t.nullable and t.descending == self.terms[0].descending for t in self.terms)
        if plain:
            columns = tuple_(*[t.expression for t in self.terms])
            bounds = tuple_(*[t.bound(v) for t, v in zip(self.terms, key, strict=True)])
            return columns < bounds if self.terms[0].descending else columns > bounds
        alternatives = []
        for i, term in enumerate(self.terms):
            past = term.beyond(key[i])
            if past is not None:
                alternatives.append(and_(*[t.equal(v) for t, v in zip(self.terms[:i], key[:i], strict=True)], past))
        return or_(false(), *alternatives)

    def encode(self, key: Sequence[Any]) -> str:
        values = [t.to_json(v) for t, v in zip(self.terms, key, strict=True)]
        payload: Any = values if self.is_default else {"orderBy": self.signature, "key": values}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str, argument: str = "after") -> list[Any]:
        """The sort key a cursor holds. Anything `encode` cannot have made is BAD_USER_INPUT: cursors
        are opaque, not a query language. A cursor of another order is refused by name."""
        malformed = BadUserInput(f"Malformed cursor '{cursor[:200]}' in `{argument}`: pass a cursor from pageInfo.")
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise malformed
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, TypeError, RecursionError, binascii.Error):
            raise malformed from None
        if isinstance(payload, dict) and set(payload) == {"orderBy", "key"} and isinstance(payload["orderBy"], str):
            signature, values = payload["orderBy"], payload["key"]
        elif isinstance(payload, list):
            signature, values = DEFAULT_SIGNATURE, payload
        else:
            raise malformed
        if signature != self.signature:
            raise BadUserInput(
                f"The cursor in `{argument}` was made for the order [{signature[:500]}], this request orders by "
                f"[{self.signature}]: page with the orderBy the cursor came from, or start again without a cursor."
            )
        if not isinstance(values, list) or len(values) != len(self.terms):
            raise malformed
        try:
            return [t.from_json(v) for t, v in zip(self.terms, values, strict=True)]
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise malformed from None


def creation_order(created_at: Any, row_id: Any) -> Ordering:
    """The default order of every list: created time, then id, ascending."""
    return Ordering((SortTerm("CREATED_AT", created_at, KeyKind.TIME), SortTerm("id", row_id, KeyKind.TEXT)))


DEFAULT_SIGNATURE = "CREATED_AT ASC, id ASC"


@dataclass(frozen=True)
class Window:
    """Which slice of an ordered list a connection asks for (Relay's first/after, last/before)."""

    first: int | None = None
    last: int | None = None
    after: str | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        if (self.first is None) == (self.last is None):
            raise BadUserInput("Give exactly one of `first` (page forward) and `last` (page backward).")

    @property
    def size(self) -> int:
        return self.first if self.first is not None else self.last  # type: ignore[return-value]

    @property
    def backward(self) -> bool:
        return self.last is not None


@dataclass(frozen=True)
class PageBounds:
    """Where a keyset page starts and ends (schema/types/page.py turns it into PageInfo)."""

    start_cursor: str | None
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool


def offset_rows(statement: Select, ordering: Ordering, first: int, skip: int) -> Select:
    return statement.order_by(*ordering.clauses()).offset(skip).limit(first)


def numbered_offset_rows(statement: Select, ordering: Ordering, first: int, skip: int) -> Select:
    """`offset_rows`, each row numbered in the list's order (column `_n`): for whoever reads the page
    as a subquery and must keep its order (an outer ORDER BY, or an aggregate's)."""
    numbered = statement.add_columns(func.row_number().over(order_by=ordering.clauses()).label("_n"))
    return offset_rows(numbered, ordering, first, skip)


def window_rows(statement: Select, ordering: Ordering, window: Window) -> Select:
    """`size + 1` rows of the window, in reading order (reversed when paging backward): the extra row
    tells whether more rows lie beyond the page."""
    if window.after is not None:
        statement = statement.where(ordering.beyond(ordering.decode(window.after, "after")))
    if window.before is not None:
        statement = statement.where(ordering.reversed().beyond(ordering.decode(window.before, "before")))
    reading = ordering.reversed() if window.backward else ordering
    return statement.order_by(*reading.clauses()).limit(window.size + 1)


def split_window(
    rows: Sequence[Any], ordering: Ordering, window: Window, key_of: Callable[[Any], Sequence[Any]]
) -> tuple[list[Any], PageBounds]:
    """Rows from `window_rows` → the page in list order and its bounds. Moving forward, a previous page
    exists when the window starts after a cursor (the cursor's row, unless deleted since); moving
    backward, a next page exists when it ends before one."""
    page = list(rows[: window.size])
    more = len(rows) > window.size
    if window.backward:
        page.reverse()
    start = ordering.encode(key_of(page[0])) if page else None
    end = ordering.encode(key_of(page[-1])) if page else None
    if window.backward:
        return page, PageBounds(start, end, window.before is not None, more)
    return page, PageBounds(start, end, more, window.after is not None)


# --- the default order, for lists that only ever page in creation order -----------------------


def offset_page(statement: Select, created_at: Any, row_id: Any, first: int, skip: int) -> Select:
    return offset_rows(statement, creation_order(created_at, row_id), first, skip)


def keyset_page(statement: Select, created_at: Any, row_id: Any, first: int, after: str | None) -> Select:
    """`first + 1` rows after the cursor in creation order."""
    return window_rows(statement, creation_order(created_at, row_id), Window(first=first, after=after))
