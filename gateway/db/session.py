"""The request's AsyncSession, whose statements are never cancelled halfway.

Cancelling a task while SQLAlchemy waits on asyncpg makes SQLAlchemy treat the connection as
unusable: it invalidates it (the pool loses it) and the next rollback fails with "the underlying
connection is closed". Tasks do get cancelled in ordinary requests: when one field fails, the
GraphQL executor cancels its still-running siblings, and a DataLoader cancels its batch once no
field waits for it any more. So every database operation of the session runs to its end in a task
of its own; the caller's cancellation is delivered right after, with the connection intact. A
statement's run time is bounded by PostgreSQL (statement timeouts), never by this wait.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any, TypeVar

import asyncpg
from asyncpg import connect_utils
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

log = logging.getLogger("labelgate.db")

# The asyncpg connection the current session operation runs its statements on (set by the listener
# below, read when that operation's caller is cancelled). A list the operation's task shares with
# its caller: the task runs in a copy of the caller's context, which holds the same list.
_statement_connection: ContextVar[list[Any] | None] = ContextVar("_statement_connection", default=None)

# How long the out-of-band cancel may take to connect and ask.
_CANCEL_TIMEOUT_SECONDS = 2.0
# How long a cancelled caller lets its operation finish on its own before the statement is cancelled
# in PostgreSQL: siblings of a failing field are cancelled all the time, and their short statements
# end well within it, costing no extra connection.
_GRACE_SECONDS = 0.05
# Out-of-band cancels under way, kept referenced until they end (a cancel is never cut short: asyncpg
# leaves unretrieved errors behind when a connect is cancelled).
_cancels_under_way: set[asyncio.Task[None]] = set()


@event.listens_for(Engine, "before_cursor_execute")
def _note_statement_connection(conn, cursor, statement, parameters, context, executemany) -> None:
    noted = _statement_connection.get()
    if noted is not None:
        noted[:] = [conn.connection.driver_connection]


async def finish_despite_cancellation(
    operation: Coroutine[Any, Any, T], on_cancel: Callable[[], Awaitable[None]] | None = None
) -> T:
    """Awaits `operation` to its end; if the caller is cancelled meanwhile, the cancellation is
    re-raised once the operation has finished (its outcome is then dropped). An operation still
    running `_GRACE_SECONDS` after the cancellation is hurried with `on_cancel()`."""
    task = asyncio.ensure_future(operation)
    cancelled = False
    while not task.done():
        try:
            if cancelled and on_cancel is not None:
                await asyncio.wait([task], timeout=_GRACE_SECONDS)
                if not task.done():
                    hurry = asyncio.ensure_future(on_cancel())
                    _cancels_under_way.add(hurry)
                    hurry.add_done_callback(_cancels_under_way.discard)
                    on_cancel = None
            else:
                await asyncio.wait([task])
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not report it as never retrieved
        raise asyncio.CancelledError
    return task.result()


async def cancel_statement(noted: list[Any]) -> None:
    """Asks PostgreSQL to cancel the statement running on the connection in `noted` (if any)."""
    if noted:
        await cancel_running_statement(noted[0])


async def cancel_running_statement(connection: asyncpg.Connection) -> None:
    """Asks the server to cancel the statement `connection` runs, with the protocol's CancelRequest:
    a message on a connection of its own naming the process id and secret key the server gave
    `connection` at start-up. Harmless when the statement has just ended: a backend cancels only
    what it is running. Failures are logged: the statement timeout still bounds the wait.

    Not `pg_cancel_backend(pid)`: behind PgBouncer the pid a client connection knows is PgBouncer's,
    and the server connection running the statement changes from one transaction to the next, while
    PgBouncer forwards a CancelRequest to the server connection its client is using at that moment.
    Directly to PostgreSQL it is the same request `pg_cancel_backend` makes, without a login.

    asyncpg sends this request itself only when the task awaiting a statement is cancelled, which
    `finish_despite_cancellation` prevents (SQLAlchemy would drop the connection); its sender and the
    key are not public API, so they are reached here, in one place."""
    protocol = connection._protocol
    try:
        async with asyncio.timeout(_CANCEL_TIMEOUT_SECONDS):
            await connect_utils._cancel(
                loop=asyncio.get_running_loop(),
                addr=connection._addr,
                params=connection._params,
                backend_pid=protocol.backend_pid,
                backend_secret=protocol.backend_secret,
            )
    except ConnectionResetError:
        pass  # some servers reset the cancel connection once they have read the request
    except Exception:
        log.warning("could not cancel the statement of backend %s", connection.get_server_pid(), exc_info=True)


def _finishes_despite_cancellation(method: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def guarded(self: AsyncSession, *args: Any, **kwargs: Any) -> T:
        noted: list[Any] = []
        token = _statement_connection.set(noted)
        try:
            operation = method(self, *args, **kwargs)
            return await finish_despite_cancellation(operation, lambda: cancel_statement(noted))
        finally:
            _statement_connection.reset(token)

    return guarded


class RequestSession(AsyncSession):
    """An AsyncSession whose database operations finish even when their caller is cancelled
    (`scalars` goes through `execute`; streaming results are not used here)."""

    connection = _finishes_despite_cancellation(AsyncSession.connection)  # it may connect (gateway.db.read_only)
    execute = _finishes_despite_cancellation(AsyncSession.execute)
    scalar = _finishes_despite_cancellation(AsyncSession.scalar)
    get = _finishes_despite_cancellation(AsyncSession.get)
    flush = _finishes_despite_cancellation(AsyncSession.flush)
    commit = _finishes_despite_cancellation(AsyncSession.commit)
    rollback = _finishes_despite_cancellation(AsyncSession.rollback)
    close = _finishes_despite_cancellation(AsyncSession.close)
    delete = _finishes_despite_cancellation(AsyncSession.delete)
    refresh = _finishes_despite_cancellation(AsyncSession.refresh)
    merge = _finishes_despite_cancellation(AsyncSession.merge)
    run_sync = _finishes_despite_cancellation(AsyncSession.run_sync)
