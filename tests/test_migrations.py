"""The Alembic migrations build exactly the tables gateway/db/models.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import gateway.db.models  # noqa: F401  (registers the tables)


async def test_migrated_database_matches_the_models(settings) -> None:
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:

            def differences(sync_connection):
                context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
                return compare_metadata(context, SQLModel.metadata)

            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
