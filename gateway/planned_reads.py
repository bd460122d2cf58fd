"""The short way through the gateway for the commonest request: a query the planner answers
(`resolvers.planner`), sent as a JSON POST by a key the auth cache has just confirmed.

Such a request needs none of what Strawberry's view and a request session provide: no resolver runs,
nothing is written, no error is expected. Going through them cost a one-statement request (W2 of
`bench/compare`, `asset(id)`) ~0.5 ms of CPU against ~0.05 ms of PostgreSQL. Here it costs what the
planner does (limits, coercion, the prepared statement's arguments), one statement through asyncpg
(`gateway.db.driver`, no session, no transaction) and the response's two messages.

It still runs behind every middleware (request id, CORS, rate limit, body limit, time budget and
disconnect), so those behave as for any request. Whatever it is not sure of, it declines, and the
request goes the usual way, which answers it (or refuses it) as before:
- not JSON, not a single operation, a document the planner does not cover, over the limits, with
  variables that do not coerce (the usual way gives the error);
- a key the cache does not hold (the usual way looks it up, and caches it);
- a shape of request the planner could not prepare, or one without a form for asyncpg;
- a statement that fails (the database is gone, the time budget ran out: the usual way meets the
  same condition and answers it with its coded error, within the same request's budget).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from gateway.auth import Viewer, api_key_from_headers, recently_confirmed
from gateway.context import signing_instant
from gateway.db.driver import fetch_value
from gateway.db.read_only import use_read_only
from gateway.http_errors import request_id_of
from gateway.metrics import LANE, note_operation
from gateway.storage import Storage
from resolvers.filters.metadata_keys import indexed_keys
from resolvers.planner import PlannedQueryFailed, completed_answer

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request
    from strawberry.http import GraphQLRequestData
    from strawberry.types import ExecutionResult

    from gateway.app import Services
    from gateway.context import RequestContext
    from resolvers.planner import QueryPlanner

log = logging.getLogger("labelgate.planned_reads")


@dataclass
class _Signing:
    """The signing context of a request (`resolvers.signed_urls.SigningContext`)."""

    storage: Storage
    signing_time: datetime = field(default_factory=signing_instant)


class PlannedReads:
    """Answers planned queries, or declines them (see the module docstring)."""

    def __init__(
        self,
        services: Services,
        planner: QueryPlanner,
        request_context: Callable[[Request], Awaitable[RequestContext]],
    ) -> None:
        self._services = services
        self._planner = planner
        self._request_context = request_context
        self._dialect = services.engine.dialect

    async def answer(self, request: Request, operation: GraphQLRequestData) -> str | ExecutionResult | None:
        """The answer's JSON text; or the failure of its statement, answered as the usual way answers
        it; or None when the lane declines (nothing was sent)."""
        services = self._services
        if self._planner.known_unplannable(operation.query, operation.operation_name):
            return None  # every mutation, after its first request
        viewer, ctx = await self._viewer(request)
        if viewer is None:
            return None
        indexed_keys.set(services.indexed_metadata.current)
        try:
            planned = self._planner.statement_for(
                viewer, self._dialect, operation.query, operation.operation_name, operation.variables
            )
        except PlannedQueryFailed:
            return None
        if planned is None or planned.driver is None:
            return None
        note_operation(operation.query, operation.operation_name, LANE, "query")  # it answers from here on
        try:
            if ctx is None:
                data = await fetch_value(services.engine, *planned.driver)
            else:  # on the connection the key was looked up on, as the usual way would
                async with ctx.db_lock:
                    await use_read_only(ctx.db)
                    data = await fetch_value(services.engine, *planned.driver, session=ctx.db)
        except Exception as exc:
            return PlannedQueryFailed(planned.plan, exc).result(request_id_of(request.scope))
        return completed_answer(planned.plan, data, _Signing(services.storage))

    async def _viewer(self, request: Request) -> tuple[Viewer | None, RequestContext | None]:
        """The viewer: from the auth cache, or else from the request's context, made here as the
        usual way makes it (with the key's lookup on the request's session). The usual way takes
        that context over should the lane decline, so a request looks its key up once, on one
        session, whichever way answers it. No viewer when the key does not authenticate."""
        key = api_key_from_headers(request.headers)
        viewer = recently_confirmed(key, self._services.auth_cache)
        if viewer is not None:
            self._services.rate_limiter.key_authenticated(key)
            return viewer, None
        ctx = await self._request_context(request)
        return (ctx.auth if isinstance(ctx.auth, Viewer) else None), ctx
