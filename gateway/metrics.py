"""Prometheus metrics (`GET /metrics`) and what each request is observed for: its GraphQL operation,
which way it was answered, its SQL statements, its error codes, and its access line.

`RequestObserver` (middleware, right inside `RequestIdMiddleware`) gives each request an `Observation`,
held in a context variable, that the code answering it fills in as it goes:
- `note_operation`: the operation's name and kind (query, mutation), and the lane that answered: `lane`
  (`gateway.planned_reads`), `mutation_lane` (`gateway.mutation_lane`), `planner`
  (`GatewayGraphQL.execute_single`'s planner) or `resolvers`;
- `note_error`: each `extensions.code` sent (GraphQL errors and HTTP-level refusals alike);
- statements: SQLAlchemy's `before_cursor_execute` event and `gateway.db.driver.statement_watchers`
  (statements sent around SQLAlchemy) count those sent while the request runs, the tasks it started too
  (they share its `Observation`). The background storage retries run outside any request: not counted.
Once the request is answered the observer records it and writes its access line (`gateway.logs`).

Operation names are chosen by clients: the first `MAX_OPERATION_LABELS` names a process sees get a label
of their own, later ones are counted as `other` (an anonymous operation is `""`), so a client cannot
grow the metrics without bound.

Metrics are kept per process (each `uvicorn` worker has its own); `PROMETHEUS_MULTIPROC_DIR` is not
used. With several workers behind one port a scrape reaches one of them: run one worker per container
(scaling out by replicas), each scraped on its own, to see them all.

Database pool gauges are read from the pool when scraped; the storage-delete backlog gauges are set by
the background retry task after each pass (`gateway.storage_outbox`), costing a scrape nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.db.driver import statement_watchers
from gateway.logs import log_access

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from gateway.storage_outbox import Backlog

# Distinct operation names one process labels; the rest are `other`. Names longer than this many
# characters are `other` too.
MAX_OPERATION_LABELS = 200
MAX_OPERATION_NAME_CHARS = 100
GRAPHQL_PATHS = frozenset({"/graphql", "/api/label/v2/graphql"})

# Lanes: which way a GraphQL request was answered ("" when it was refused before any of them ran).
LANE = "lane"
MUTATION_LANE = "mutation_lane"
PLANNER = "planner"
RESOLVERS = "resolvers"

# Seconds: the planned-read lane answers in ~0.5 ms, a large export in seconds.
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100)

# The operation named first in a document, when the request names none (`operationName`).
_FIRST_OPERATION = re.compile(r"\s*(?:#[^\n]*\n\s*)*(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?")


@dataclass(slots=True)
class Observation:
    """What one request was found to be, filled in while it runs."""

    operation: str | None = None  # the operation's name ("" anonymous); None: no GraphQL operation read
    kind: str = ""  # query, mutation ("" unknown)
    lane: str = ""  # LANE, MUTATION_LANE, PLANNER, RESOLVERS; "" when none ran
    statements: int = 0
    errors: list[str] = field(default_factory=list)  # extensions.code of each error sent


_observation: ContextVar[Observation | None] = ContextVar("labelgate_observation", default=None)


def current_observation() -> Observation | None:
    """The observation of the request being served, or None (outside requests, or metrics off)."""
    return _observation.get()


def note_operation(query: str | None, operation_name: str | None, lane: str, kind: str | None = None) -> None:
    """Records the request's operation and the lane answering it; `kind` None: read from the document."""
    observation = _observation.get()
    if observation is None:
        return
    observation.lane = lane
    if kind is not None and operation_name is not None:
        observation.kind, observation.operation = kind, operation_name
        return
    found_kind, found_name = _first_operation(query or "")
    observation.kind = kind or found_kind
    observation.operation = operation_name if operation_name is not None else found_name


def note_lane(lane: str) -> None:
    """Records that `lane` answers the request (its operation already noted)."""
    observation = _observation.get()
    if observation is not None:
        observation.lane = lane


def note_error(code: str) -> None:
    """Records an `extensions.code` the request's answer carries."""
    observation = _observation.get()
    if observation is not None:
        observation.errors.append(code)


def _first_operation(query: str) -> tuple[str, str]:
    """The kind and name of the document's first operation, read from its first characters (not parsed):
    `{ ... }` is an anonymous query; a document starting with a fragment is unknown ("", "")."""
    match = _FIRST_OPERATION.match(query)
    if match is not None:
        return match[1], match[2] or ""
    return ("query", "") if query.lstrip().startswith("{") else ("", "")


def _count_statement() -> None:
    observation = _observation.get()
    if observation is not None:
        observation.statements += 1


@event.listens_for(Engine, "before_cursor_execute")
def _on_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: PLR0913
    _count_statement()


statement_watchers.append(lambda engine, sql: _count_statement())


class OperationLabels:
    """Operation name → label: the first `limit` names seen keep theirs, the rest are `other`."""

    def __init__(self, limit: int = MAX_OPERATION_LABELS) -> None:
        self.limit = limit
        self._seen: set[str] = {""}

    def __call__(self, name: str | None) -> str:
        if not name:
            return ""
        if name in self._seen:
            return name
        if len(self._seen) > self.limit or len(name) > MAX_OPERATION_NAME_CHARS:
            return "other"
        self._seen.add(name)
        return name


class _PoolCollector(Collector):
    """The engine's connection pool, read at scrape time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.pool = engine.sync_engine.pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.pool
        gauges = (
            ("labelgate_db_pool_size", "Connections the pool keeps open (LABELGATE_DATABASE_POOL_SIZE).", pool.size()),
            ("labelgate_db_pool_checked_out", "Connections in use by requests right now.", pool.checkedout()),
            ("labelgate_db_pool_checked_in", "Open connections idle in the pool.", pool.checkedin()),
            ("labelgate_db_pool_overflow", "Connections open beyond the pool size.", max(0, pool.overflow())),
            (
                "labelgate_db_pool_max_overflow",
                "Most connections the pool may open beyond its size.",
                getattr(pool, "_max_overflow", 0),
            ),
        )
        for name, documentation, value in gauges:
            yield GaugeMetricFamily(name, documentation, value=value)


class Metrics:
    """The metrics of one app, in a registry of their own (several apps in one process, as the
    tests make, do not collide)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        registry.register(_PoolCollector(engine))
        self.operation_label = OperationLabels()
        self._series: dict[tuple[str | None, str, str], tuple[Any, Any, Any]] = {}
        self._responses: dict[int, Any] = {}
        labels = ["operation", "kind", "lane"]
        self.requests = Counter("labelgate_graphql_requests", "GraphQL requests answered.", labels, registry=registry)
        self.duration = Histogram(
            "labelgate_graphql_request_duration_seconds",
            "Time from a GraphQL request's arrival to the end of its answer.",
            labels,
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.statements = Histogram(
            "labelgate_sql_statements_per_request",
            "SQL statements a GraphQL request sent (through SQLAlchemy and straight through asyncpg).",
            ["lane"],
            buckets=STATEMENT_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "labelgate_errors", "Errors sent to clients, by extensions.code.", ["code"], registry=registry
        )
        self.responses = Counter(
            "labelgate_http_responses", "HTTP responses, by status code (every path).", ["status"], registry=registry
        )
        self.backlog = Gauge(
            "labelgate_storage_backlog_objects",
            "Stored objects of deleted assets awaiting removal from S3 (as of the last retry pass).",
            registry=registry,
        )
        self.backlog_oldest = Gauge(
            "labelgate_storage_backlog_oldest_seconds",
            "Age of the oldest object awaiting removal (0 when none), as of the last retry pass.",
            registry=registry,
        )

    def record(self, path: str, status: int, seconds: float, observation: Observation) -> None:
        """Counts an answered request. The labelled series of a combination are looked up once and kept
        (`prometheus_client`'s `labels()` costs a lock and a few microseconds each)."""
        responses = self._responses.get(status)
        if responses is None:
            responses = self._responses[status] = self.responses.labels(str(status))
        responses.inc()
        for code in observation.errors:
            self.errors.labels(code).inc()
        if path not in GRAPHQL_PATHS:
            return
        key = (observation.operation, observation.kind, observation.lane)
        series = self._series.get(key)
        if series is None:
            labels = (self.operation_label(observation.operation), observation.kind, observation.lane)
            series = self.requests.labels(*labels), self.duration.labels(*labels), self.statements.labels(key[2])
            if len(self._series) < MAX_OPERATION_LABELS * 8:  # names beyond the bound share `other`'s series
                self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)
        series[2].observe(observation.statements)

    def set_backlog(self, backlog: Backlog) -> None:
        """Called by the background storage retries after each pass."""
        self.backlog.set(backlog.count)
        age = backlog.oldest_age()
        self.backlog_oldest.set(0 if age is None else age.total_seconds())

    async def endpoint(self, request: Request) -> Response:
        """`GET /metrics`: the Prometheus text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class RequestObserver:
    """Observes each HTTP request (see the module docstring): records it in `metrics` (when on) and
    writes its access line (when `access_log`)."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        observation = Observation()
        token = _observation.set(observation)
        started = time.perf_counter()
        status = 500  # unless a response starts: the app raised

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            _observation.reset(token)
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.record(scope["path"], status, seconds, observation)
            if self.access_log:
                log_access(scope["method"], scope["path"], status, seconds, observation.operation)
