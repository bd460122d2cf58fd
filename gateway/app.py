"""The Starlette application: GraphQL (and GraphiQL) at /graphql and /api/label/v2/graphql."""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.auth import AuthCache, api_key_from_headers, authenticate
from gateway.context import RequestContext
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.metadata_columns import IndexedKeys, refreshing
from gateway.db.read_only import is_query, use_read_only
from gateway.deadline import RequestDeadlineMiddleware
from gateway.errors import ErrorCode, GatewayError, ServiceUnavailable
from gateway.gc_tuning import tune_for_serving
from gateway.graphiql import page_response, static_files
from gateway.health import Readiness, health
from gateway.http_errors import (
    EXCEPTION_HANDLERS,
    graphql_request,
    read_graphql_request,
    rejection_for,
    request_id_of,
    status_of_answer,
)
from gateway.loaders import Loaders
from gateway.logs import take_over_uvicorn_logging
from gateway.metrics import PLANNER, RESOLVERS, Metrics, RequestObserver, note_error, note_lane, note_operation
from gateway.middleware import BodyLimitMiddleware, RequestIdMiddleware
from gateway.mutation_lane import MutationLane
from gateway.planned_reads import PlannedReads
from gateway.rate_limit import RateLimiter, RateLimitMiddleware
from gateway.settings import Settings
from gateway.storage import Storage
from gateway.storage_outbox import storage_retries
from gateway.tracing import tracing_middleware
from resolvers.filters.metadata_keys import indexed_keys
from resolvers.planner import PlannedQueryFailed, QueryPlanner
from schema.build import build_schema

log = logging.getLogger("labelgate")


@dataclass
class PlannedResult(ExecutionResult):
    """A query the planner answered: the answer's JSON text, as PostgreSQL built it."""

    text: str = ""


class PlannedAnswer(dict):
    """`PlannedResult`'s answer on its way to the response, sent as is (no decoding and encoding)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class GatewayGraphQL(GraphQL):
    """Strawberry's ASGI app with our per-request context (session, viewer, loaders), reading
    requests and refusing them as coded JSON errors (`gateway.http_errors`)."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        schema = build_schema(suggestions=settings.graphql_suggestions, max_page_size=settings.max_page_size)
        super().__init__(schema, graphql_ide="graphiql")
        self.services = services
        self.planner = QueryPlanner(self.schema, services.settings) if services.settings.query_planner else None
        self.planned_reads = None if self.planner is None else PlannedReads(services, self.planner, self.get_context)
        self.mutation_lane = (
            MutationLane(self.schema._schema, settings, self.get_context) if settings.mutation_lane else None
        )

    async def execute_single(  # noqa: PLR0917 (Strawberry's signature)
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: RequestContext,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Runs the operation: a query without a transaction (`gateway.db.read_only`), in one statement
        when the planner covers it (`resolvers.planner`); the rest through Strawberry's resolvers."""
        query = is_query(request_data.query, request_data.operation_name, context.settings)
        if query:
            async with context.db_lock:
                await use_read_only(context.db)
        note_operation(request_data.query, request_data.operation_name, RESOLVERS, "query" if query else None)
        if self.planner is not None and request_adapter.method == "POST":
            try:
                answer = await self.planner.answer(
                    context, request_data.query, request_data.operation_name, request_data.variables
                )
            except PlannedQueryFailed as failed:
                return failed.result(context.request_id)
            if answer is not None:
                note_lane(PLANNER)
                return PlannedResult(data=None, errors=None, text=answer)
        return await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if isinstance(result, PlannedResult):
            return PlannedAnswer(result.text)
        response = await super().process_result(request, result)
        for error in response.get("errors") or ():
            note_error((error.get("extensions") or {}).get("code", ErrorCode.INTERNAL.value))
        return response

    def encode_json(self, data: object) -> str | bytes:
        if isinstance(data, PlannedAnswer):
            return data.text
        return super().encode_json(data)

    async def get_context(self, request: Request, response: Any = None) -> RequestContext:
        """The request's context: its session, viewer and loaders. Made once a request: a request
        the planned-read lane declined keeps the context it made (and its key lookup)."""
        existing = request.scope.get("state", {}).get("labelgate_context")
        if existing is not None:
            return existing
        db = self.services.session_factory()
        ctx = RequestContext(
            request=request,
            db=db,
            storage=self.services.storage,
            settings=self.services.settings,
            request_id=request_id_of(request.scope) or "-",
            auth=GatewayError("unset"),
        )
        request.scope.setdefault("state", {})["labelgate_context"] = ctx
        indexed_keys.set(self.services.indexed_metadata.current)
        try:
            key = api_key_from_headers(request.headers)
            ctx.auth = await authenticate(db, key, self.services.auth_cache)
            self.services.rate_limiter.key_authenticated(key)
        except ServiceUnavailable:
            raise  # no database: nothing of the request can run, it is refused (503)
        except GatewayError as exc:
            ctx.auth = exc
        ctx.loaders = Loaders(ctx)
        return ctx

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (`gateway.graphiql`), its assets served by the gateway, not a CDN."""
        return page_response(request)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        return await read_graphql_request(request)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """200, or the status the answer's errors call for (503 + Retry-After: database unreachable)."""
        response = super().create_response(response_data, sub_response)
        status = status_of_answer(response_data.get("errors")) if isinstance(response_data, dict) else None
        if status is not None:
            response.status_code = status[0]
            response.headers.update(status[1])
        return response

    async def _answered_in_lane(self, request: Request, send: Send) -> bool:
        """Lets a lane answer: the mutation lane (`gateway.mutation_lane`) the mutations it plans, the
        planned-read lane (`gateway.planned_reads`) the rest; False when it declines."""
        if self.mutation_lane is None and self.planned_reads is None:
            return False
        operation = await lane_operation(request)
        if operation is None:
            return False
        lane = self.mutation_lane
        if lane is not None and (plan := lane.plan(operation.query, operation.operation_name)) is not None:
            answer = await lane.answer(request, operation, plan)
        elif self.planned_reads is not None:
            answer = await self.planned_reads.answer(request, operation)
        else:
            return False
        if answer is None:
            return False
        if isinstance(answer, ExecutionResult):
            sub_response = await self.get_sub_response(request)  # a bare Response() would add a 2nd content-length
            response = self.create_response(await self.process_result(request, answer), sub_response)
            await response(request.scope, request.receive, send)
        else:
            await send_json(send, answer)
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            request = Request(scope=scope, receive=receive)
            try:
                if await self._answered_in_lane(request, send):
                    return
                response = await self.run(request)
            except Exception as exc:
                rejection = rejection_for(exc)
                if rejection is None:
                    raise
                response = rejection.response(request_id_of(scope))
            await response(scope, receive, send)
        finally:
            ctx = scope.get("state", {}).pop("labelgate_context", None)
            if ctx is not None:
                await ctx.close()


class Services:
    """Long-lived resources shared by all requests."""

    def __init__(self, settings: Settings) -> None:
        """`metrics` is None with LABELGATE_METRICS off."""
        if not settings.database_url:
            raise ValueError("no database configured (LABELGATE_DATABASE_URL)")
        self.settings = settings
        self.engine = make_engine(
            settings.database_url,
            settings.database_pool_size,
            statement_timeout_seconds=settings.request_timeout_seconds,
            pgbouncer=settings.database_pgbouncer,
        )
        self.rate_limiter = RateLimiter.from_settings(settings)
        self.auth_cache = AuthCache.from_settings(settings)
        self.session_factory = make_session_factory(self.engine)
        self.storage = Storage(settings)
        self.indexed_metadata = IndexedKeys()
        self.metrics = Metrics(self.engine) if settings.metrics else None


async def lane_operation(request: Request) -> GraphQLRequestData | None:
    """The operation of a request a lane may answer: a POST of JSON holding one well-formed GraphQL
    request. None for anything else (the usual way reads it, and explains what is wrong with it)."""
    if request.method != "POST" or not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        return graphql_request(json.loads(await request.body()))
    except Exception:
        return None


async def send_json(send: Send, text: str) -> None:
    """A 200 JSON response, as two ASGI messages (a Starlette Response costs more than the rest of
    a small planned answer's sending)."""
    body = text.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def api_version(schema: strawberry.Schema) -> str:
    """labelgate's version plus a hash of the SDL served (its defaults follow the settings): the Kili SDK
    keys its schema cache on it."""
    sdl_hash = hashlib.sha256(schema.as_str().encode()).hexdigest()[:12]
    return f"{package_version('labelgate')}+{sdl_hash}"


def create_app(settings: Settings, *, tracer_provider: Any = None) -> Starlette:
    """The app. `tracer_provider`: trace with this OpenTelemetry provider rather than per the settings
    (`gateway.tracing`)."""
    services = Services(settings)
    graphql = GatewayGraphQL(services)
    version = api_version(graphql.schema)
    metrics = services.metrics

    async def version_endpoint(request: Request) -> JSONResponse:
        return JSONResponse({"version": version})

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if settings.gc_tuning:
            tune_for_serving()  # start-up is done: modules imported, schema built, app created
        async with (
            storage_retries(
                services.session_factory,
                services.storage,
                settings,
                on_backlog=None if metrics is None else metrics.set_backlog,
            ),
            refreshing(services.indexed_metadata, services.engine),
        ):
            yield
        await services.engine.dispose()

    app = Starlette(
        routes=[
            Route("/api/label/v2/version", version_endpoint),
            Route("/healthz", health),
            Route("/readyz", Readiness(services).endpoint),
            *([Route("/metrics", metrics.endpoint)] if metrics is not None else []),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/api/label/v2/graphql", graphql, methods=["GET", "POST"]),
            static_files(),
        ],
        middleware=[
            *tracing_middleware(settings, tracer_provider),
            *middleware_stack(settings, services.rate_limiter, metrics),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.services = services
    return app


def middleware_stack(settings: Settings, rate_limiter: RateLimiter, metrics: Metrics | None) -> list[Middleware]:
    """The middleware every request passes, outermost first. CORS, the rate limit and the observer
    (metrics, access log) are left out when they have nothing to do (no origin allowed, no limit,
    metrics and access log off): each layer costs every request a call and a wrapped `send`, a tenth
    of a one-statement request's CPU for two."""
    observer = Middleware(RequestObserver, metrics=metrics, access_log=settings.access_log)
    cors = Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["x-request-id"],
    )
    return [
        Middleware(RequestIdMiddleware),
        *([observer] if metrics is not None or settings.access_log else []),
        *([cors] if settings.cors_origins else []),
        *([Middleware(RateLimitMiddleware, limiter=rate_limiter)] if rate_limiter.enabled else []),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(RequestDeadlineMiddleware, seconds=settings.request_timeout_seconds),
    ]


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory gateway.app:app_from_env` (settings from LABELGATE_* variables),
    e.g. to run several workers behind one port. Log lines take LABELGATE_LOG_FORMAT and request ids,
    uvicorn's included, and our access line replaces uvicorn's (`gateway.logs`)."""
    settings = Settings()
    take_over_uvicorn_logging(settings.log_format, settings.access_log)
    return create_app(settings)
