"""Operations: the readiness probe (storage side; the database side is in tests/test_database_down.py),
Prometheus metrics moving with requests, and log lines (JSON or text) carrying the request id."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.db.models import StorageOutbox, utcnow
from gateway.logs import JsonFormatter, RequestIdFilter, configure_logging
from gateway.metrics import OperationLabels, _first_operation
from gateway.storage_outbox import storage_backlog
from tests.conftest import SqlCounter
from tests.factories import unique
from tests.test_timeouts import app_client

ASSET = "query AssetById($id: ID!) { asset(id: $id) { id externalId } }"
CREATE = "mutation CreateIt($t: String!) { createProject(data: {title: $t, inputType: IMAGE}) { title } }"


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _samples(client) -> dict[tuple[str, frozenset], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _labels(**labels: str) -> frozenset:
    return frozenset(labels.items())


# --- readiness ---------------------------------------------------------------------------------------


async def test_readyz_is_ready_with_every_check_ok(client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "storage": "ok"}}
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_is_not_ready_without_the_bucket(settings) -> None:
    async with app_client(settings, s3_bucket=unique("missing-bucket")) as (client, _):
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert "does not exist" in body["checks"]["storage"]


async def test_readyz_is_not_ready_while_s3_does_not_answer(settings) -> None:
    """An S3 endpoint that accepts connections and never answers: the check gives up after its timeout."""
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with app_client(settings, s3_endpoint=f"127.0.0.1:{port}", s3_read_timeout=3.0, s3_retries=0) as (
            client,
            _,
        ):
            loop = asyncio.get_running_loop()
            started = loop.time()
            response = await client.get("/readyz")
            elapsed = loop.time() - started
    finally:
        server.close()
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "no answer within 2 s"
    assert response.json()["checks"]["database"] == "ok"
    assert 1.9 < elapsed < 4


# --- metrics -----------------------------------------------------------------------------------------


async def test_metrics_count_requests_by_operation_lane_errors_and_statements(settings, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org, title=unique("metrics"))
    asset = await seeder.asset(project, external_id="m-1")
    async with app_client(settings) as (client, app):
        counter = SqlCounter(app.state.services.engine)
        with counter:
            for _ in range(2):
                response = await client.post(
                    "/graphql", json={"query": ASSET, "variables": {"id": asset.id}}, headers=_headers(key)
                )
                assert response.json()["data"]["asset"]["externalId"] == "m-1"
        lane_statements = counter.count
        with counter:
            response = await client.post(
                "/graphql", json={"query": CREATE, "variables": {"t": unique("m")}}, headers=_headers(key)
            )
            assert "errors" not in response.json()
        mutation_statements = counter.count - lane_statements
        # errors: no key (UNAUTHENTICATED), a body that is not JSON (BAD_USER_INPUT, no operation read)
        assert (await client.post("/graphql", json={"query": "{ viewer { id } }"})).status_code == 200
        bad = await client.post("/graphql", content=b"{nope", headers={"content-type": "application/json"})
        assert bad.status_code == 400
        samples = await _samples(client)

    lane = _labels(operation="AssetById", kind="query", lane="lane")
    assert samples[("labelgate_graphql_requests_total", lane)] == 2
    assert samples[("labelgate_graphql_request_duration_seconds_count", lane)] == 2
    assert 0 < samples[("labelgate_graphql_request_duration_seconds_sum", lane)] < 5
    mutation = _labels(operation="CreateIt", kind="mutation", lane="mutation_lane")
    assert samples[("labelgate_graphql_requests_total", mutation)] == 1
    assert samples[("labelgate_graphql_requests_total", _labels(operation="", kind="query", lane="resolvers"))] == 1
    assert samples[("labelgate_graphql_requests_total", _labels(operation="", kind="", lane=""))] == 1
    assert samples[("labelgate_errors_total", _labels(code="UNAUTHENTICATED"))] == 1
    assert samples[("labelgate_errors_total", _labels(code="BAD_USER_INPUT"))] == 1
    assert samples[("labelgate_http_responses_total", _labels(status="400"))] == 1
    # the statements the requests sent, as the suite's own counter saw them (lane: key lookup + answer)
    assert samples[("labelgate_sql_statements_per_request_count", _labels(lane="lane"))] == 2
    assert samples[("labelgate_sql_statements_per_request_sum", _labels(lane="lane"))] == lane_statements >= 2
    assert samples[("labelgate_sql_statements_per_request_sum", _labels(lane="mutation_lane"))] == mutation_statements
    # the pool, read at scrape time
    assert samples[("labelgate_db_pool_size", frozenset())] == settings.database_pool_size
    assert samples[("labelgate_db_pool_checked_out", frozenset())] == 0
    assert samples[("labelgate_db_pool_checked_in", frozenset())] >= 1
    assert samples[("labelgate_db_pool_max_overflow", frozenset())] == settings.database_pool_size
    assert ("process_cpu_seconds_total", frozenset()) in samples


async def test_metrics_show_the_storage_backlog_as_of_the_retry_task(settings, seeder) -> None:
    """The gauge is set by the background retries (the app's lifespan), not by a query per scrape."""
    row = StorageOutbox(
        id=unique("ob"), bucket=settings.s3_bucket, key=unique("gone/"), next_attempt_at=utcnow() + timedelta(days=1)
    )
    await seeder.add(row)
    async with app_client(settings, storage_retry_seconds=0.05) as (client, app), app.router.lifespan_context(app):
        async with app.state.services.session_factory() as session:
            expected = (await storage_backlog(session.execute, settings.s3_bucket)).count
        assert expected >= 1
        for _ in range(100):
            samples = await _samples(client)
            if samples[("labelgate_storage_backlog_objects", frozenset())] == expected:
                break
            await asyncio.sleep(0.02)
        assert samples[("labelgate_storage_backlog_objects", frozenset())] == expected
        assert samples[("labelgate_storage_backlog_oldest_seconds", frozenset())] >= 0
    async with app.state.services.session_factory() as session:
        await session.delete(await session.get(StorageOutbox, row.id))
        await session.commit()


async def test_probes_and_metrics_are_not_rate_limited(settings) -> None:
    async with app_client(settings, rate_limit_per_minute=1, rate_limit_burst=1) as (client, _):
        for _ in range(3):
            assert (await client.get("/metrics")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
        assert (await client.post("/graphql", json={"query": "{ viewer { id } }"})).status_code == 200
        refused = await client.post("/graphql", json={"query": "{ viewer { id } }"})
        assert refused.status_code == 429
        samples = await _samples(client)
    assert samples[("labelgate_errors_total", _labels(code="RATE_LIMITED"))] == 1


async def test_metrics_can_be_turned_off(settings) -> None:
    async with app_client(settings, metrics=False) as (client, _):
        response = await client.get("/metrics")
    assert response.status_code == 404 and response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_operation_names_beyond_the_bound_are_other() -> None:
    labels = OperationLabels(limit=2)
    assert [labels(name) for name in ("A", "B", "C", "A", None, "")] == ["A", "B", "other", "A", "", ""]
    assert OperationLabels()("x" * 101) == "other"


@pytest.mark.parametrize(
    ("document", "found"),
    [
        ("{ viewer { id } }", ("query", "")),
        ("  query Assets($id: ID!) { asset(id: $id) { id } }", ("query", "Assets")),
        ("# a comment\nmutation Create { x }", ("mutation", "Create")),
        ("query{ viewer { id } }", ("query", "")),
        ("fragment F on Asset { id } query Q { x }", ("", "")),
    ],
)
def test_the_operation_read_from_a_document_that_names_none_in_the_request(document, found) -> None:
    assert _first_operation(document) == found


# --- logs --------------------------------------------------------------------------------------------


@contextmanager
def captured_logs(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    """Everything logged meanwhile, through a handler like `configure_logging`'s (SQLAlchemy's statement
    lines on too: they are logged from its greenlets and the session's tasks)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter)
    root, engine_log = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = root.level, engine_log.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    engine_log.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        engine_log.setLevel(levels[1])


async def test_json_log_lines_carry_the_request_id_access_line_included(settings, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org, title=unique("logs"))
    asset = await seeder.asset(project)
    async with app_client(settings) as (client, _):
        with captured_logs(JsonFormatter()) as stream:
            for request_id, query in (("req-lane-1", ASSET), ("req-usual-1", "query Who { viewer { id } }")):
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": {"id": asset.id}},
                    headers={**_headers(key), "X-Request-Id": request_id},
                )
                assert response.status_code == 200 and response.headers["x-request-id"] == request_id
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    for request_id, operation in (("req-lane-1", "AssetById"), ("req-usual-1", "Who")):
        mine = [line for line in lines if line["request_id"] == request_id]
        statements = [line for line in mine if line["logger"].startswith("sqlalchemy.engine")]
        assert statements, "the request's SQL lines carry its id"
        [access] = [line for line in mine if line["logger"] == "labelgate.access"]
        assert access["method"] == "POST" and access["path"] == "/graphql" and access["status"] == 200
        assert access["operation"] == operation and access["duration_ms"] > 0
        assert access["level"] == "INFO" and access["time"].endswith("+00:00")
    # every line the gateway logged while the requests ran belongs to one of them (httpx logs the client's side)
    assert {line["request_id"] for line in lines if line["logger"] != "httpx"} == {"req-lane-1", "req-usual-1"}


async def test_text_log_lines_carry_the_request_id(settings) -> None:
    async with app_client(settings) as (client, _):
        with captured_logs(logging.Formatter("%(name)s [%(request_id)s]: %(message)s")) as stream:
            await client.get("/healthz", headers={"X-Request-Id": "req-text-1"})
    [line] = [line for line in stream.getvalue().splitlines() if not line.startswith("httpx")]
    assert re.fullmatch(r'labelgate\.access \[req-text-1\]: "GET /healthz" 200 \d+\.\d\d ms', line), line


async def test_no_access_line_with_the_access_log_off(settings) -> None:
    async with app_client(settings, access_log=False, metrics=False) as (client, _):
        with captured_logs(JsonFormatter()) as stream:
            await client.get("/healthz")
    assert [line for line in stream.getvalue().splitlines() if '"logger": "httpx"' not in line] == []


@pytest.fixture
def root_logging_restored() -> Iterator[None]:
    """The root logger's handlers and level as they were, after a test that configures logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_configure_logging_writes_json_lines(capsys, root_logging_restored) -> None:
    configure_logging("info", "json")
    logging.getLogger("labelgate.test").warning("hello %s", "there")
    [line] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert line["message"] == "hello there" and line["level"] == "WARNING" and line["logger"] == "labelgate.test"
    assert line["request_id"] == "-"


def test_the_log_handler_writes_to_the_stderr_of_the_moment(monkeypatch, root_logging_restored) -> None:
    """A handler made while stderr was one stream (a test's capture, since closed) writes to the one
    in place when it logs, not to the closed one."""
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info", "text")
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("labelgate.test").warning("after the swap")
    written = second.getvalue()
    assert "Logging error" not in written and written.rstrip().endswith("after the swap")
