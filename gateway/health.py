"""Probes: `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: it can serve).

Ready means, each checked with a time limit of `CHECK_TIMEOUT_SECONDS`:
- `database`: PostgreSQL answers a statement on a pooled connection;
- `migrations`: the database's Alembic revision is the code's head (a gateway started with
  `--no-migrate` ahead of `labelgate migrate` is not ready until the migration ran);
- `storage`: the S3 bucket exists and answers.
`/readyz` answers 200 `{"status": "ready", "checks": {name: "ok"}}` when all pass, else 503
`{"status": "not ready", "checks": {...}}` where each failing check says why. Neither probe is rate limited
(`gateway.rate_limit.UNLIMITED_PATHS`) or needs an API key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.db.migrate import head_revision

if TYPE_CHECKING:
    from gateway.app import Services

CHECK_TIMEOUT_SECONDS = 2.0
OK = "ok"


async def health(request: Request) -> JSONResponse:
    """Liveness: answers as long as the process serves HTTP (it checks nothing else)."""
    return JSONResponse({"status": "ok"})


class Readiness:
    """The `/readyz` endpoint of an app's services."""

    def __init__(self, services: Services, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self.services = services
        self.timeout = timeout
        self._head: str | None = None

    async def endpoint(self, request: Request) -> JSONResponse:
        checks = await self.checks()
        ready = all(outcome == OK for outcome in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    async def checks(self) -> dict[str, str]:
        """Each check's outcome: "ok", or why it failed. The database and S3 are asked at once."""
        (revision, database), (_, storage) = await asyncio.gather(
            self._bounded(self._database_revision), self._bounded(self._storage)
        )
        if database != OK:
            return {"database": database, "migrations": "unknown: the database was not reached", "storage": storage}
        head = await self._head_revision()
        migrations = (
            OK if revision == head else f"behind: the database is at {revision or 'no revision'}, the code at {head}"
        )
        return {"database": OK, "migrations": migrations, "storage": storage}

    async def _bounded(self, check: Callable[[], Awaitable[str | None]]) -> tuple[str | None, str]:
        """`check`'s result and "ok", or None and why it failed (its error, or no answer in time)."""
        try:
            return await asyncio.wait_for(check(), self.timeout), OK
        except TimeoutError:
            return None, f"no answer within {self.timeout:g} s"
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]

    async def _database_revision(self) -> str | None:
        """The database's Alembic revision (None: never migrated)."""
        async with self.services.engine.connect() as connection:
            try:
                return (await connection.execute(text("SELECT max(version_num) FROM alembic_version"))).scalar()
            except ProgrammingError as exc:  # no alembic_version table
                if "alembic_version" in str(exc):
                    return None
                raise

    async def _storage(self) -> None:
        storage = self.services.storage
        if not await asyncio.to_thread(storage.internal.bucket_exists, storage.bucket):
            raise LookupError(f"bucket {storage.bucket!r} does not exist")

    async def _head_revision(self) -> str | None:
        if self._head is None:
            self._head = await asyncio.to_thread(head_revision)
        return self._head
