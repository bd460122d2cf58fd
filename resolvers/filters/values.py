"""Parsing of filter values that travel as strings: dates and JSON."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gateway.errors import BadUserInput


def parse_time(value: str, field: str) -> tuple[datetime, bool]:
    """A filter date: `YYYY-MM-DD` or ISO-8601 (a missing zone means UTC).
    Returns the instant and whether only a day was given."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC), True
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadUserInput(
            f"{field}: '{value}' is not a date; use YYYY-MM-DD or ISO-8601 such as 2026-01-31T12:00:00.000Z."
        ) from None
    instant = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        instant.astimezone(UTC)  # "0001-01-01T00:00+02:00" is a time of year 0, which nothing can store
    except OverflowError:
        raise BadUserInput(f"{field}: '{value}' is out of range: dates go from year 1 to year 9999 (UTC).") from None
    return instant, False


def lower_bound(value: str, field: str) -> datetime:
    return parse_time(value, field)[0]


def upper_bound(value: str, field: str) -> tuple[datetime, bool]:
    """The bound of a `...Lte` filter and whether it is exclusive: a bare day includes all of
    that day, so `createdAtLte: "2026-01-31"` means before 2026-02-01T00:00Z (and "9999-12-31", whose
    next day has no datetime, means up to the last instant there is)."""
    instant, day_only = parse_time(value, field)
    if not day_only:
        return instant, False
    if instant.date() == date.max:
        return datetime.max.replace(tzinfo=UTC), False
    return instant + timedelta(days=1), True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} does not fit a double-precision number")
    return number


def load_json(text: str) -> Any:
    """`json.loads` for what PostgreSQL's jsonb stores: NaN, Infinity and numbers beyond a double (1e999,
    which Python reads as infinity) are a ValueError here instead of an error of the database."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)


def parse_json_object(value: str, field: str) -> dict[str, Any]:
    """A JSON-encoded object string, as Kili sends `json*` values."""
    try:
        parsed = load_json(value)
    except (TypeError, ValueError) as exc:
        raise BadUserInput(f"{field} must be a JSON-encoded object string: {exc}") from None
    if not isinstance(parsed, dict):
        raise BadUserInput(f"{field} must be a JSON-encoded object, got {type(parsed).__name__}.")
    return parsed
