"""Indexed metadata keys: hot keys copied into generated columns, so filters and statistics on them
read a narrow btree instead of every asset's JSON.

Why: on 1,000,000 assets, counting `metadata: {weather: "rain"}` through the GIN index still visits
every matching heap row (the GIN recheck), ~260 ms for 250,000 matches; grouping by a key parses
every row's JSON, ~400-800 ms. A generated column `md_weather = json_metadata -> 'weather'` with a
btree on `(project_id, md_weather)` answers both with an index-only scan (see the README, "Indexed
metadata keys", for the measured plans).

The operator chooses the keys (`labelgate metadata-columns add weather`): each column costs disk and
a little on every asset write, and adding one rewrites the asset table once (PostgreSQL computes a
stored generated column for every row, holding an exclusive lock: ~12 s for 1M assets here), so it
is a maintenance-window operation.

The database is the registry: a generated column on `asset` whose comment is
`labelgate metadata key: <dotted key>`. Each gateway reads the catalog at start and every
`REFRESH_SECONDS`, and the filter compilers use the column through `resolvers/filters/metadata_keys.py`
(a request sees the set that was current when it began, via a ContextVar). Until a gateway has seen
a new column it keeps reading the JSON: same answers, slower. Dropping first renames the comment to
"retiring", waits two refresh periods so no gateway still uses the column, then drops it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.filters.metadata_keys import key_path

log = logging.getLogger("labelgate.metadata_columns")

COMMENT_PREFIX = "labelgate metadata key: "
RETIRING_PREFIX = "labelgate metadata key (retiring): "
REFRESH_SECONDS = 5.0

_CATALOG = text(
    """
    SELECT a.attname AS column_name, col_description(a.attrelid, a.attnum) AS comment
    FROM pg_attribute a
    WHERE a.attrelid = 'asset'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = 's'
    ORDER BY a.attname
    """
)


@dataclass(frozen=True)
class MetadataColumn:
    key: str
    column: str
    retiring: bool = False

    @property
    def index(self) -> str:
        return f"ix_asset_{self.column}"


def column_name(key: str) -> str:
    """`md_<readable part>_<hash>`: unique per key, within PostgreSQL's 63-character identifiers."""
    readable = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")[:40]
    return f"md_{readable}_{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _quoted(value: str) -> str:
    """A SQL string literal (DDL takes no bound parameters)."""
    if "\x00" in value:
        raise ValueError("a metadata key cannot contain NUL")
    return "'" + value.replace("'", "''") + "'"


def _path_expression(key: str) -> str:
    path = key_path(key, "key")
    return f"json_metadata #> ARRAY[{', '.join(_quoted(segment) for segment in path)}]::text[]"


async def list_columns(engine: AsyncEngine) -> list[MetadataColumn]:
    async with engine.connect() as connection:
        rows = (await connection.execute(_CATALOG)).all()
    columns = []
    for row in rows:
        comment = row.comment or ""
        if comment.startswith(COMMENT_PREFIX):
            columns.append(MetadataColumn(comment.removeprefix(COMMENT_PREFIX), row.column_name))
        elif comment.startswith(RETIRING_PREFIX):
            columns.append(MetadataColumn(comment.removeprefix(RETIRING_PREFIX), row.column_name, retiring=True))
    return columns


async def add_column(engine: AsyncEngine, key: str) -> MetadataColumn:
    """Adds the generated column and its index (built CONCURRENTLY: writes go on meanwhile), then
    VACUUM ANALYZE: the planner learns the column's values, and the visibility map the rewrite
    cleared is set again (index-only scans need it). Idempotent."""
    column = MetadataColumn(key, column_name(key))
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        await connection.execute(
            text(
                f"ALTER TABLE asset ADD COLUMN IF NOT EXISTS {column.column} jsonb "
                f"GENERATED ALWAYS AS ({_path_expression(key)}) STORED"
            )
        )
        await connection.execute(text(f"COMMENT ON COLUMN asset.{column.column} IS {_quoted(COMMENT_PREFIX + key)}"))
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(
            text(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {column.index} ON asset (project_id, {column.column})")
        )
        # The rewrite cleared the visibility map: without VACUUM no scan of the new index is index-only.
        await autocommit.execute(text("VACUUM (ANALYZE) asset"))
    return column


async def drop_column(engine: AsyncEngine, key: str, *, grace_seconds: float = 2 * REFRESH_SECONDS) -> bool:
    """Retires the key's column (gateways stop using it at their next refresh), waits `grace_seconds`,
    then drops it and its index. False when the key has no column."""
    column = next((c for c in await list_columns(engine) if c.key == key), None)
    if column is None:
        return False
    async with engine.begin() as connection:
        await connection.execute(text(f"COMMENT ON COLUMN asset.{column.column} IS {_quoted(RETIRING_PREFIX + key)}"))
    await asyncio.sleep(grace_seconds)
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        await connection.execute(text(f"DROP INDEX IF EXISTS {column.index}"))
        await connection.execute(text(f"ALTER TABLE asset DROP COLUMN IF EXISTS {column.column}"))
    return True


@dataclass
class IndexedKeys:
    """What one gateway process believes is indexed; requests read `current`."""

    current: Mapping[str, str] = field(default_factory=dict)

    async def refresh(self, engine: AsyncEngine) -> None:
        self.current = {c.key: c.column for c in await list_columns(engine) if not c.retiring}


@asynccontextmanager
async def refreshing(keys: IndexedKeys, engine: AsyncEngine) -> AsyncIterator[None]:
    """Keeps `keys` current while the block runs (the app's lifespan)."""

    async def refresh() -> None:
        try:
            await keys.refresh(engine)
        except Exception as exc:  # noqa: BLE001  (a database outage must not stop the gateway or the loop)
            log.warning("could not read the indexed metadata keys: %s", exc)

    async def loop() -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await refresh()

    await refresh()  # the first requests already use the indexed keys

    task = asyncio.create_task(loop(), name="labelgate-indexed-metadata-keys")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
