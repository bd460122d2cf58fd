"""The async engine and per-request sessions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from gateway.db.session import RequestSession


def make_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: rows stay readable after commit (no lazy refresh on an async session).
    # RequestSession: a cancelled caller never cuts a statement short (that would lose the connection).
    return async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False)
