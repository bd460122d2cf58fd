"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from gateway.auth import Viewer
from gateway.errors import GatewayError
from gateway.settings import Settings
from gateway.storage import Storage


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

    @property
    def viewer(self) -> Viewer:
        """The authenticated viewer; raises the authentication error for anonymous requests."""
        if isinstance(self.auth, GatewayError):
            raise self.auth
        return self.auth

    async def execute(self, statement: Executable) -> Result[Any]:
        async with self.db_lock:
            return await self.db.execute(statement)

    async def scalars(self, statement: Executable) -> list[Any]:
        return list((await self.execute(statement)).scalars().all())

    async def scalar(self, statement: Executable) -> Any:
        return (await self.execute(statement)).scalar_one()

    async def close(self) -> None:
        await self.db.close()
