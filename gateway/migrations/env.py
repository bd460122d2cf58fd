"""Alembic environment: runs migrations over the gateway's async engine."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import gateway.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from gateway.db.engine import pgbouncer_connect_args

target_metadata = SQLModel.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    # Without statement caches (worth nothing for one run), so migrations work through PgBouncer in
    # transaction mode too: each migration runs in one transaction, and none sets anything for the session.
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_async_engine(url, connect_args=pgbouncer_connect_args())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
