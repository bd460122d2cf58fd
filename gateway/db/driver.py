"""One statement straight through asyncpg, on a connection of the engine's pool, around SQLAlchemy's
execution machinery.

For the smallest requests (`asset(id)`), SQLAlchemy's session and Core execution cost more CPU than
PostgreSQL spends on the statement: checking out and closing a session, the compiled cache lookup,
the execution context, the result wrapping (~0.1-0.3 ms a statement here, the statement itself
~0.05 ms). `gateway.planned_reads` sends the statements the query planner prepared, compiled once,
this way: same pool, same connections (their `statement_timeout`), no transaction (as an AUTOCOMMIT
session runs them), and, as `RequestSession` does, a statement is never cut short by its caller's
cancellation: PostgreSQL is asked to cancel it and the connection goes back to the pool intact.

SQLAlchemy's `before_cursor_execute` event does not see these statements: `statement_watchers` does
(the tests count statements with both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from gateway.db.session import cancel_running_statement, finish_despite_cancellation

# Called with the engine and the SQL text of each statement `fetch_value` sends, before it is sent.
statement_watchers: list[Callable[[AsyncEngine, str], None]] = []


async def fetch_value(
    engine: AsyncEngine, sql: str, arguments: Sequence[Any], session: AsyncSession | None = None
) -> Any:
    """The first column of the first row `sql` (asyncpg's `$n` parameters) returns with `arguments`:
    on `session`'s connection when given, else on one checked out of `engine`'s pool for it."""
    if session is not None:
        connection = await (await session.connection()).get_raw_connection()
        return await _fetch_value(engine, connection.driver_connection, sql, arguments)
    # The pool may connect, which SQLAlchemy's asyncpg adaptation does in a greenlet.
    pooled = await greenlet_spawn(engine.sync_engine.pool.connect)
    try:
        return await _fetch_value(engine, pooled.driver_connection, sql, arguments)
    finally:
        if pooled.driver_connection.is_closed():
            pooled.invalidate()  # lost with the server: the pool makes a new one
        await greenlet_spawn(pooled.close)


async def _fetch_value(engine: AsyncEngine, connection: asyncpg.Connection, sql: str, arguments: Sequence[Any]) -> Any:
    for watcher in statement_watchers:
        watcher(engine, sql)
    return await finish_despite_cancellation(
        connection.fetchval(sql, *arguments),
        lambda: cancel_running_statement(connection),
    )
