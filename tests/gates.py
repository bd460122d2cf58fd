"""Making requests race: start them while a gate transaction holds row locks on the assets they
write, wait until every one is blocked on those locks, then let go. Without the gate, requests sent
"at once" mostly run one after the other and a lost-update bug goes unseen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select, text

from gateway.db import models

BLOCKED_ON_LOCKS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND datname = current_database() AND pid <> pg_backend_pid()"
)


async def race_behind_row_locks(
    engine: Any, asset_ids: list[str], requests: list[Callable[[], Awaitable[Any]]]
) -> list:
    """Runs `requests` (coroutine factories) while the assets' rows are locked, releases the lock once
    all are waiting on it, and returns their results in order."""
    async with engine.connect() as gate:
        await gate.execute(select(models.Asset.id).where(models.Asset.id.in_(asset_ids)).with_for_update())
        tasks = [asyncio.create_task(request()) for request in requests]
        waiting = 0
        for _ in range(400):
            await gate.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the first answer sticks
            waiting = (await gate.execute(BLOCKED_ON_LOCKS)).scalar_one()
            if waiting >= len(requests) or any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.025)
        assert waiting >= len(requests), f"only {waiting} of {len(requests)} requests blocked on the gate"
        await gate.rollback()
    return await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)


async def run_gated(app: Any, api: Any, calls: list[Any], asset_ids: list[str]) -> None:
    """Sends every call (`request()`, `key`) through the in-process app so that they race; each call
    keeps the `body` it got."""
    requests = [lambda call=call: api.raw(*call.request(), key=call.key) for call in calls]
    bodies = await race_behind_row_locks(app.state.services.engine, asset_ids, requests)
    for call, body in zip(calls, bodies, strict=True):
        call.body = body
