"""The request's AsyncSession, whose statements are never cancelled halfway.

Cancelling a task while SQLAlchemy waits on asyncpg makes SQLAlchemy treat the connection as
unusable: it invalidates it (the pool loses it) and the next rollback fails with "the underlying
connection is closed". Tasks do get cancelled in ordinary requests: when one field fails, the
GraphQL executor cancels its still-running siblings, and a DataLoader cancels its batch once no
field waits for it any more. So every database operation of the session runs to its end in a task
of its own; the caller's cancellation is delivered right after, with the connection intact. A
statement's run time is bounded by PostgreSQL (statement timeouts), never by this wait.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def finish_despite_cancellation(operation: Coroutine[Any, Any, T]) -> T:
    """Awaits `operation` to its end; if the caller is cancelled meanwhile, the cancellation is
    re-raised once the operation has finished (its outcome is then dropped)."""
    task = asyncio.ensure_future(operation)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not report it as never retrieved
        raise asyncio.CancelledError
    return task.result()


def _finishes_despite_cancellation(method: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def guarded(self: AsyncSession, *args: Any, **kwargs: Any) -> T:
        return await finish_despite_cancellation(method(self, *args, **kwargs))

    return guarded


class RequestSession(AsyncSession):
    """An AsyncSession whose database operations finish even when their caller is cancelled
    (`scalars` goes through `execute`; streaming results are not used here)."""

    execute = _finishes_despite_cancellation(AsyncSession.execute)
    scalar = _finishes_despite_cancellation(AsyncSession.scalar)
    get = _finishes_despite_cancellation(AsyncSession.get)
    flush = _finishes_despite_cancellation(AsyncSession.flush)
    commit = _finishes_despite_cancellation(AsyncSession.commit)
    rollback = _finishes_despite_cancellation(AsyncSession.rollback)
    close = _finishes_despite_cancellation(AsyncSession.close)
    delete = _finishes_despite_cancellation(AsyncSession.delete)
    refresh = _finishes_despite_cancellation(AsyncSession.refresh)
    merge = _finishes_despite_cancellation(AsyncSession.merge)
    run_sync = _finishes_despite_cancellation(AsyncSession.run_sync)
