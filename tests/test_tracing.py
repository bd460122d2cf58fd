"""OpenTelemetry (gateway/tracing.py), with the SDK's real tracer provider exporting to memory: a request
yields a server span with the SQL statements it sent as spans under it, through either way statements go
(a request session through SQLAlchemy, the planned-read lane straight through asyncpg). Without an
endpoint, nothing is instrumented."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway import tracing
from gateway.app import create_app
from tests.factories import unique
from tests.test_timeouts import app_client

ASSET = "query($id: ID!) { asset(id: $id) { id externalId } }"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    tracing.uninstrument()


def _under(span, server, by_id) -> bool:
    """Whether `span` descends from `server`."""
    while span.parent is not None:
        if span.parent.span_id == server.context.span_id:
            return True
        span = by_id.get(span.parent.span_id)
        if span is None:
            return False
    return False


async def test_a_request_yields_a_server_span_with_sql_child_spans(settings, seeder, exporter) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    asset = await seeder.asset(await seeder.project(org, title=unique("traced")))
    app = create_app(settings, tracer_provider=provider)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://labelgate.test"
        ) as client:
            for query, variables in ((ASSET, {"id": asset.id}), ("{ viewer { id } }", {})):
                exporter.clear()
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {key}", "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"},
                )
                assert "errors" not in response.json(), response.text
                spans = exporter.get_finished_spans()
                [server] = [span for span in spans if span.kind is SpanKind.SERVER]
                assert server.attributes.get("http.route", "/graphql") == "/graphql"
                assert server.context.trace_id == int("ab" * 16, 16)  # the caller's trace goes on
                by_id = {span.context.span_id: span for span in spans}
                sql = [span for span in spans if span.kind is SpanKind.CLIENT and span.attributes.get("db.statement")]
                assert sql, [(span.name, span.kind) for span in spans]
                assert all(_under(span, server, by_id) for span in sql)
                statements = " ".join(span.attributes["db.statement"] for span in sql)
                assert "api_key" in statements  # the key lookup, through SQLAlchemy (the suite's auth cache is off)
                if query == ASSET:  # answered by the planned-read lane, straight through asyncpg
                    assert "json" in statements.lower() and "asset" in statements
            # /healthz, /readyz and /metrics are not traced (probes and scrapes would drown the traces)
            exporter.clear()
            await client.get("/healthz")
            assert [span for span in exporter.get_finished_spans() if span.kind is SpanKind.SERVER] == []
    finally:
        await app.state.services.engine.dispose()


class _OtlpReceiver(BaseHTTPRequestHandler):
    """A minimal OTLP/HTTP receiver: keeps what is posted to it."""

    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        self.received.append((self.path, self.headers["content-type"], body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_spans_are_exported_over_otlp_to_the_configured_endpoint(settings, seeder, monkeypatch) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    _, key = await seeder.user(await seeder.organization())
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}"
    app = create_app(settings.model_copy(update={"otel_endpoint": endpoint}))
    provider = app.user_middleware[0].kwargs["tracer_provider"]
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.test") as client:
            response = await client.post(
                "/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": f"Bearer {key}"}
            )
            assert "errors" not in response.json()
        assert await asyncio.to_thread(provider.force_flush)
        [(path, content_type, body)] = _OtlpReceiver.received
        assert path == "/v1/traces" and content_type == "application/x-protobuf"
        assert b"POST /graphql" in body and b"labelgate" in body  # the server span, the service name
    finally:
        provider.shutdown()
        tracing.uninstrument()
        receiver.shutdown()
        await app.state.services.engine.dispose()


async def test_without_an_endpoint_nothing_is_traced_or_imported(settings, monkeypatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    for name in [name for name in sys.modules if name.startswith("opentelemetry.instrumentation.asgi")]:
        monkeypatch.delitem(sys.modules, name)
    async with app_client(settings) as (client, _):
        assert (await client.get("/healthz")).status_code == 200
        assert not any(name.startswith("opentelemetry.instrumentation.asgi") for name in sys.modules)
    assert tracing.tracing_middleware(settings) == []
