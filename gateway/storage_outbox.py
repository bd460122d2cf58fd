"""Removing the stored objects of deleted assets, durably: an outbox table retried until S3 has them gone.

Deleting asset rows and removing their objects from S3 cannot be one transaction. So the transaction
that deletes the rows also writes one `storage_outbox` row per object key (`queue_removals`): the record
commits or rolls back with the delete, and a crash right after the commit loses nothing. After the
commit the request tries the removals at once (`remove_queued`); a row whose object is gone is deleted,
any other keeps its error and a next attempt time, and the background task of the app's lifespan
(`storage_retries`) retries it with exponential backoff until S3 has removed the object.

An object an asset still refers to (the same upload appended twice, or appended again since) is never
removed: each attempt checks, in the statement that claims the row, that no asset refers to the key,
and otherwise drops the row (the delete of that asset queues the key again). The check runs after the
delete has committed rather than inside it: two concurrent deletes of two assets sharing an object
would each see the other's asset still there, and neither would remove the object.

Several workers and replicas share the table: an attempt claims its rows with `SELECT ... FOR UPDATE
SKIP LOCKED` and holds them until it has recorded the outcome, so a row is worked on by one process at
a time. New rows wait `storage_retry_seconds` before the background task may claim them, which leaves
them to the request that queued them. A removal done twice anyway is harmless (removing a missing
object succeeds). Each gateway works only on the rows of its own bucket.

Left open: an append that checks that an object exists just before an attempt removes it, and commits
just after, refers to a removed object. It needs a client re-appending the object of an asset it is
deleting at that moment; closing it would cost appends a lock on the keys they use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Executable, delete, func, insert, literal, select, true, update
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Asset, StorageOutbox, utcnow
from gateway.errors import ServiceUnavailable
from gateway.settings import Settings
from gateway.storage import Storage
from resolvers.arrays import any_id, values_table
from resolvers.transactions import write_transaction

log = logging.getLogger("labelgate.storage")

Execute = Callable[[Executable], Awaitable[Result]]

# Objects removed at once, and rows one background attempt claims.
REMOVE_CONCURRENCY = 8
BATCH = 100
# The backoff doubles up to 2**20 times the first delay (then storage_retry_max_seconds caps it anyway).
_MAX_DOUBLINGS = 20
_ERROR_CHARS = 500


@dataclass(frozen=True)
class Attempt:
    """What one attempt did with the rows it claimed."""

    claimed: int = 0
    removed: int = 0  # objects removed, rows deleted
    still_used: int = 0  # rows dropped because an asset refers to the object again
    failed: int = 0  # rows left for a later attempt
    error: str | None = None  # the first failure
    unavailable: bool = False  # S3 could not be reached: the rest of the batch was not tried


@dataclass(frozen=True)
class Backlog:
    """The rows waiting: how many, and when the oldest was queued."""

    count: int
    oldest: datetime | None

    def oldest_age(self, now: datetime | None = None) -> timedelta | None:
        return None if self.oldest is None else (now or utcnow()) - self.oldest


async def queue_removals(ctx: RequestContext, keys: Iterable[str]) -> list[str]:
    """Records, in the caller's open transaction, that the objects `keys` are to be removed; returns
    the ids of the rows written. One statement whatever the number of keys (arrays, not a VALUES list)."""
    keys = sorted(set(keys))
    if not keys:
        return []
    ids = [new_id() for _ in keys]
    queued = values_table("queued", id=ids, key=keys)
    first_try = timedelta(seconds=ctx.settings.storage_retry_seconds)
    await ctx.execute(
        insert(StorageOutbox).from_select(
            ["id", "bucket", "key", "next_attempt_at"],
            select(queued.c.id, literal(ctx.storage.bucket), queued.c.key, func.now() + first_try),
        )
    )
    return ids


async def remove_queued(ctx: RequestContext, ids: list[str]) -> Attempt:
    """After the commit: removes the objects of the rows `ids` (queue_removals) and records the outcome.
    A failure leaves its row to the background retries and logs the backlog. Statements: 1 to claim the
    rows, 1 to delete those done, and when something failed 1 to reschedule it and 1 to count the backlog."""
    async with write_transaction(ctx):
        attempt = await _attempt(ctx.execute, ctx.storage, ctx.settings, any_id(StorageOutbox.id, ids))
        backlog = await storage_backlog(ctx.execute, ctx.storage.bucket) if attempt.failed else None
    if backlog is not None:
        log.warning(
            "request %s: %d stored object(s) of deleted assets could not be removed (%s); "
            "%d await removal, retried in the background",
            ctx.request_id,
            attempt.failed,
            attempt.error,
            backlog.count,
        )
    return attempt


async def retry_due(session_factory: async_sessionmaker[AsyncSession], storage: Storage, settings: Settings) -> Attempt:
    """Retries every row of `storage`'s bucket whose time has come, BATCH rows per transaction, until
    none is left or S3 turns out unavailable. Returns the totals."""
    totals = Attempt()
    while True:
        async with session_factory() as session:
            attempt = await _attempt(
                session.execute, storage, settings, StorageOutbox.next_attempt_at <= func.now(), limit=BATCH
            )
            await session.commit()
        totals = Attempt(
            claimed=totals.claimed + attempt.claimed,
            removed=totals.removed + attempt.removed,
            still_used=totals.still_used + attempt.still_used,
            failed=totals.failed + attempt.failed,
            error=totals.error or attempt.error,
            unavailable=attempt.unavailable,
        )
        if attempt.claimed < BATCH or attempt.unavailable:
            return totals


async def storage_backlog(execute: Execute, bucket: str | None = None) -> Backlog:
    """How many objects await removal (in `bucket`, or in all buckets) and since when. One statement;
    cheap enough for a metrics endpoint (`session.execute` or `ctx.execute` as `execute`)."""
    condition = StorageOutbox.bucket == bucket if bucket is not None else true()
    count, oldest = (await execute(select(func.count(), func.min(StorageOutbox.created_at)).where(condition))).one()
    return Backlog(count=count, oldest=oldest)


@asynccontextmanager
async def storage_retries(
    session_factory: async_sessionmaker[AsyncSession],
    storage: Storage,
    settings: Settings,
    on_backlog: Callable[[Backlog], None] | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """Runs the background retries while the block runs (the app's lifespan); `on_backlog` is given the
    backlog after each pass (the metrics' gauges: a scrape then costs no statement)."""
    task = asyncio.create_task(
        _retry_forever(session_factory, storage, settings, on_backlog), name="labelgate-storage-retries"
    )
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _retry_forever(
    session_factory: async_sessionmaker[AsyncSession],
    storage: Storage,
    settings: Settings,
    on_backlog: Callable[[Backlog], None] | None = None,
) -> None:
    """A pass every `storage_retry_seconds`, the first at once (a backlog left by an earlier run goes
    first). Logs a warning when the backlog has grown since the last pass, info once it is empty."""
    last_count = 0
    while True:
        try:
            await retry_due(session_factory, storage, settings)
            async with session_factory() as session:
                backlog = await storage_backlog(session.execute, storage.bucket)
            if on_backlog is not None:
                on_backlog(backlog)
            if backlog.count > last_count:
                log.warning(
                    "%d stored object(s) of deleted assets await removal from bucket %r, the oldest queued %s ago; "
                    "retrying (see `labelgate storage-backlog`)",
                    backlog.count,
                    storage.bucket,
                    _rounded(backlog.oldest_age()),
                )
            elif backlog.count == 0 and last_count > 0:
                log.info("storage backlog drained: the objects of deleted assets are all removed")
            last_count = backlog.count
        except Exception as exc:  # the database may be down too: try again next time
            log.warning("storage retries: pass failed (%s: %s)", type(exc).__name__, exc)
        await asyncio.sleep(settings.storage_retry_seconds)


async def _attempt(
    execute: Execute, storage: Storage, settings: Settings, which: ColumnElement[bool], *, limit: int | None = None
) -> Attempt:
    """Claims the rows `which` selects (skipping those another attempt holds), removes their objects
    unless an asset refers to them, deletes the rows done and reschedules the others. The caller
    commits. 1 statement for the claim, 1 to delete the rows done, 1 to reschedule failures."""
    still_used = select(Asset.id).where(Asset.storage_key == StorageOutbox.key).exists()
    rows = (
        await execute(
            select(StorageOutbox.id, StorageOutbox.key, still_used)
            .where(StorageOutbox.bucket == storage.bucket, which)
            .order_by(StorageOutbox.next_attempt_at, StorageOutbox.id)
            .limit(limit)
            .with_for_update(of=StorageOutbox, skip_locked=True)
        )
    ).all()
    kept = [row_id for row_id, _, used in rows if used]
    removed, errors, unavailable = await _remove(storage, [(row_id, key) for row_id, key, used in rows if not used])
    if kept or removed:
        await execute(delete(StorageOutbox).where(any_id(StorageOutbox.id, kept + removed)))
    if errors:
        await execute(_reschedule(errors, settings))
    return Attempt(
        claimed=len(rows),
        removed=len(removed),
        still_used=len(kept),
        failed=len(errors),
        error=next(iter(errors.values()), None),
        unavailable=unavailable,
    )


async def _remove(storage: Storage, rows: list[tuple[str, str]]) -> tuple[list[str], dict[str, str], bool]:
    """Removes the objects of `rows` (id, key), REMOVE_CONCURRENCY at a time: the ids done, the error of
    each id not done, and whether S3 was unavailable (then the rows not yet tried fail with that error
    rather than each waiting for its own timeout)."""
    semaphore = asyncio.Semaphore(REMOVE_CONCURRENCY)
    removed: list[str] = []
    errors: dict[str, str] = {}
    unavailable: list[str] = []

    async def remove(row_id: str, key: str) -> None:
        async with semaphore:
            if unavailable:
                errors[row_id] = unavailable[0]
                return
            try:
                await storage.remove(key)
            except ServiceUnavailable as exc:
                unavailable.append(_describe(exc.__cause__ or exc))
                errors[row_id] = unavailable[0]
            except Exception as exc:
                log.warning("could not remove stored object %r of a deleted asset", key, exc_info=True)
                errors[row_id] = _describe(exc)
            else:
                removed.append(row_id)

    await asyncio.gather(*(remove(row_id, key) for row_id, key in rows))
    return removed, errors, bool(unavailable)


def _reschedule(errors: dict[str, str], settings: Settings) -> Executable:
    """One more failed attempt for each row of `errors` (id → error): the next one after
    storage_retry_seconds × 2^(earlier failures), at most storage_retry_max_seconds."""
    failed = values_table("failed", id=list(errors), error=list(errors.values()))
    delay = func.least(
        settings.storage_retry_max_seconds,
        settings.storage_retry_seconds * func.power(2, func.least(StorageOutbox.attempts, _MAX_DOUBLINGS)),
    )
    return (
        update(StorageOutbox)
        .where(StorageOutbox.id == failed.c.id)
        .values(
            attempts=StorageOutbox.attempts + 1,
            next_attempt_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, delay),
            last_error=failed.c.error,
        )
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS]


def _rounded(age: timedelta | None) -> str:
    """An age as `3 s`, `12 min`, `5 h`, `2 d`."""
    seconds = int(age.total_seconds()) if age is not None else 0
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
