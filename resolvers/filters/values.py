"""Parsing of filter values that travel as strings: dates.

Python's datetimes span years 1 to 9999 and overflow at their edges (`9999-12-31` plus the day a
`...Lte` bound adds, `0001-01-01T00:00+14:00` in UTC). Such bounds mean "before/after every time we
store", so they are clamped to the edges instead of failing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gateway.errors import BadUserInput

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def parse_time(value: str, field: str) -> tuple[datetime, bool]:
    """A filter date: `YYYY-MM-DD` or ISO-8601 (a missing zone means UTC), as a UTC instant.
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
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), False
    try:
        return parsed.astimezone(UTC), False
    except OverflowError:  # the offset moves it before year 1 or after 9999
        return (EARLIEST if parsed.year == 1 else LATEST), False


def later(instant: datetime, delta: timedelta) -> datetime:
    """`instant + delta`, at most LATEST."""
    try:
        return instant + delta
    except OverflowError:
        return LATEST


def lower_bound(value: str, field: str) -> datetime:
    return parse_time(value, field)[0]


def upper_bound(value: str, field: str) -> tuple[datetime, bool]:
    """The bound of a `...Lte` filter and whether it is exclusive: a bare day includes all of
    that day, so `createdAtLte: "2026-01-31"` means before 2026-02-01T00:00Z (and "9999-12-31", whose
    next day has no datetime, means up to the last instant there is)."""
    instant, day_only = parse_time(value, field)
    if not day_only:
        return instant, False
    end = later(instant, timedelta(days=1))
    return end, end is not LATEST
