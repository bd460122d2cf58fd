"""Telling "PostgreSQL cannot be reached right now" apart from a fault of the statement.

The first kind is answered `SERVICE_UNAVAILABLE` (HTTP 503, worth retrying); the second stays a
statement's own error. What PostgreSQL's absence looks like, by the moment it is met:
- connecting while it is down: the raw `OSError` of the socket (`ConnectionRefusedError`, a
  timeout, a failed name lookup), raised by asyncpg through SQLAlchemy's pool unwrapped;
- connecting while it starts or stops: `CannotConnectNowError` (SQLSTATE 57P03), or
  `TooManyConnectionsError` when it has no connection left;
- on a pooled connection it has closed (restart, administrator shutdown): SQLAlchemy's
  `DBAPIError` with `connection_invalidated`, caused by `ConnectionDoesNotExistError`,
  `AdminShutdownError` or another connection exception (SQLSTATE class 08);
- no pooled connection came free in time: SQLAlchemy's pool `TimeoutError`.
"""

from __future__ import annotations

from types import TracebackType

from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    CrashShutdownError,
    PostgresConnectionError,
    TooManyConnectionsError,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gateway.errors import ServiceUnavailable

_UNAVAILABLE_ERRORS = (
    PoolTimeoutError,
    PostgresConnectionError,
    CannotConnectNowError,
    AdminShutdownError,
    CrashShutdownError,
    TooManyConnectionsError,
)
_DATABASE_PACKAGES = ("asyncpg", "sqlalchemy")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) says the database cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE_ERRORS):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError) and _raised_in_database_driver(current.__traceback__):
            return True
        current = current.__cause__ or current.__context__
    return False


def _raised_in_database_driver(traceback: TracebackType | None) -> bool:
    """Whether the traceback passes through asyncpg or SQLAlchemy: an `OSError` from there is the
    database connection's (one from object storage or a file is not)."""
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.split(".", 1)[0] in _DATABASE_PACKAGES:
            return True
        traceback = traceback.tb_next
    return False


def database_unavailable_error() -> ServiceUnavailable:
    """The client-facing error for any of the above."""
    return ServiceUnavailable("The database is unavailable right now; retry in a few seconds.")
