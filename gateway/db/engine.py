"""The async engine and per-request sessions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from gateway.db.session import RequestSession

APPLICATION_NAME = "labelgate"


def make_engine(
    database_url: str, pool_size: int = 10, *, statement_timeout_seconds: float | None = None
) -> AsyncEngine:
    """The engine; with `statement_timeout_seconds`, PostgreSQL cancels any statement of its connections
    that runs longer (set once per connection at connect time, so it costs no statement per request).

    Connections name themselves `labelgate` in `pg_stat_activity` (`application_name`)."""
    server_settings = {"application_name": APPLICATION_NAME}
    if statement_timeout_seconds is not None:
        server_settings["statement_timeout"] = str(max(1, round(statement_timeout_seconds * 1000)))
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args={"server_settings": server_settings},
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: rows stay readable after commit (no lazy refresh on an async session).
    # RequestSession: a cancelled caller never cuts a statement short (that would lose the connection).
    return async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False)
