"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from gateway.auth import Viewer
from gateway.db.unavailable import database_unavailable
from gateway.errors import GatewayError
from gateway.settings import Settings
from gateway.storage import Storage

log = logging.getLogger("labelgate")


def signing_instant() -> datetime:
    """Now, in whole seconds as S3 signatures carry it."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class RequestContext:
    request: Request | None
    db: AsyncSession
    storage: Storage
    settings: Settings
    request_id: str
    auth: Viewer | GatewayError
    loaders: Any = None  # gateway.loaders.Loaders, set right after construction
    # One AsyncSession cannot run two statements at once, but Strawberry resolves sibling
    # fields (and so DataLoader batches) concurrently: every statement takes this lock.
    db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False

    @cached_property
    def signing_time(self) -> datetime:
        """The instant every signed URL of this request is signed at, in whole seconds as S3 signatures
        carry it: `Asset.urlExpiresAt` is then exactly when `Asset.url` stops working."""
        return signing_instant()

    @property
    def viewer(self) -> Viewer:
        """The authenticated viewer; raises the authentication error for anonymous requests."""
        if isinstance(self.auth, GatewayError):
            raise self.auth
        return self.auth

    async def execute(self, statement: Executable, parameters: dict[str, Any] | None = None) -> Result[Any]:
        """Runs `statement` (with `parameters` overriding its bind values by name, as the planner's
        prepared statements need) on the request's session."""
        async with self.db_lock:
            if self.closed:
                # Work left behind by a finished request (a DataLoader batch nobody awaits any
                # more) must not open a new transaction: its connection would never go back.
                raise RuntimeError(f"request {self.request_id} has ended; its session is closed")
            return await self.db.execute(statement, parameters)

    async def scalars(self, statement: Executable) -> list[Any]:
        return list((await self.execute(statement)).scalars().all())

    async def scalar(self, statement: Executable) -> Any:
        return (await self.execute(statement)).scalar_one()

    async def close(self) -> None:
        """Closes the session once no statement is in flight (a DataLoader batch may outlive the
        response). Never raises: the answer is already sent, and a connection that died with the
        database has already been discarded by SQLAlchemy."""
        async with self.db_lock:
            self.closed = True
            try:
                await self.db.close()
            except Exception as exc:
                if database_unavailable(exc):
                    log.info("request %s: its database connection was lost", self.request_id)
                else:
                    log.warning("request %s: closing its session failed", self.request_id, exc_info=exc)
