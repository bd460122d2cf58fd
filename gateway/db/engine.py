"""The async engine and per-request sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from gateway.db.session import RequestSession

APPLICATION_NAME = "labelgate"


def make_engine(
    database_url: str,
    pool_size: int = 10,
    *,
    statement_timeout_seconds: float | None = None,
    pgbouncer: bool = False,
) -> AsyncEngine:
    """The engine; with `statement_timeout_seconds`, PostgreSQL cancels any statement of its connections
    that runs longer (set once per connection at connect time, so it costs no statement per request).

    Connections name themselves `labelgate` in `pg_stat_activity` (`application_name`).

    With `pgbouncer`, the engine works through PgBouncer in transaction pooling mode, where each
    transaction (each statement outside one) may run on another server connection (`pgbouncer_connect_args`)."""
    server_settings = {"application_name": APPLICATION_NAME}
    if statement_timeout_seconds is not None and not pgbouncer:
        server_settings["statement_timeout"] = str(max(1, round(statement_timeout_seconds * 1000)))
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    if pgbouncer:
        connect_args |= pgbouncer_connect_args()
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args=connect_args,
    )


def pgbouncer_connect_args() -> dict[str, Any]:
    """What SQLAlchemy's asyncpg dialect needs behind PgBouncer in transaction pooling mode, where
    consecutive statements of one client connection may run on different server connections.

    - asyncpg's statement cache off (`statement_cache_size=0`) and SQLAlchemy's own cache of prepared
      statements off (`prepared_statement_cache_size=0`): a statement prepared once and reused by name
      would be looked up on whichever server connection PgBouncer hands out next ("prepared statement
      ... does not exist"), and asyncpg's names (`__asyncpg_stmt_1__`, ...) count per client connection,
      so two gateway connections sharing a server connection would collide ("... already exists").
    - With its cache off, asyncpg prepares statements unnamed (SQLAlchemy names none of its own unless
      given `prepared_statement_name_func`, which is deliberately not set: named statements would stay
      behind on the server connections) and parses each again in the exchange that runs it, so a
      statement always runs where it was parsed (asyncpg >= 0.29).
    - No `statement_timeout` startup parameter (`make_engine` leaves it out): PgBouncer refuses a
      client that sends a startup parameter it does not track, and would not carry it over to the
      server connections it lends anyway. Set it on the role instead (README, "Behind PgBouncer").
    """
    return {"statement_cache_size": 0, "prepared_statement_cache_size": 0}


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: rows stay readable after commit (no lazy refresh on an async session).
    # RequestSession: a cancelled caller never cuts a statement short (that would lose the connection).
    return async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False)
