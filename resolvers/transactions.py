"""Write transactions: a mutation commits all of its writes or none of them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from gateway.context import RequestContext

log = logging.getLogger("labelgate.writes")

AfterCommit = Callable[[], Awaitable[None]]


class WriteTransaction:
    """Collects actions to run once the transaction has committed (e.g. removing stored objects,
    which must never happen for rows that end up not deleted)."""

    def __init__(self) -> None:
        self.after_commit: list[AfterCommit] = []

    def on_commit(self, action: AfterCommit) -> None:
        self.after_commit.append(action)


@asynccontextmanager
async def write_transaction(ctx: RequestContext) -> AsyncIterator[WriteTransaction]:
    """Commits when the block ends normally, rolls back when it raises, then runs the after-commit
    actions; a failing action is logged under the request id and never undoes the commit."""
    transaction = WriteTransaction()
    try:
        yield transaction
        async with ctx.db_lock:
            await ctx.db.commit()
    except BaseException:
        async with ctx.db_lock:
            await ctx.db.rollback()
        raise
    for action in transaction.after_commit:
        try:
            await action()
        except Exception:
            log.exception("request %s: after-commit action failed", ctx.request_id)
