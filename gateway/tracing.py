"""OpenTelemetry traces, when asked for: `LABELGATE_OTEL_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` set
and the `otel` extra installed (`pip install 'labelgate[otel]'`).

Each HTTP request gets a server span (the ASGI instrumentation, outermost middleware; a caller's
`traceparent` is continued) and each SQL statement a client span under it, from asyncpg's
instrumentation: it sees every statement, those of request sessions (SQLAlchemy runs them through
asyncpg, BEGIN and ROLLBACK included) and those the planned-read lane sends straight through asyncpg
(`gateway.db.driver`). (opentelemetry-instrumentation-sqlalchemy would add nothing, and declines
SQLAlchemy 2.1 anyway.) Probes and scrapes (/healthz, /readyz, /metrics) are not traced.

Spans are exported over OTLP in batches (`OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc`, the default, or
`http/protobuf`); the standard `OTEL_*` variables (service name, headers, sampler) apply.

Without an endpoint nothing of OpenTelemetry is imported and requests pay nothing. With an endpoint but
without the extra, the gateway logs a warning and runs untraced. The asyncpg instrumentation patches the
driver for the whole process: tracing is set up once per process (the first app to ask), and traces
every engine's statements made within a traced request.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from starlette.middleware import Middleware

from gateway.settings import Settings

log = logging.getLogger("labelgate.tracing")

SERVICE_NAME = "labelgate"


def endpoint(settings: Settings) -> str | None:
    """Where traces go, or None when tracing is off."""
    return settings.otel_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None


def tracing_middleware(settings: Settings, tracer_provider: Any = None) -> list[Middleware]:
    """The server-span middleware (empty when tracing is off), after instrumenting asyncpg.
    `tracer_provider`: a provider of the caller's (tests export to memory); by default one exporting
    over OTLP to `endpoint(settings)`."""
    if tracer_provider is None:
        target = endpoint(settings)
        if target is None:
            return []
        try:
            tracer_provider = _otlp_provider(target)
        except ImportError as exc:
            log.warning("tracing asked for (%s) but the `otel` extra is not installed (%s): not tracing", target, exc)
            return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().instrument(tracer_provider=tracer_provider)
    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=tracer_provider,
            excluded_urls="/healthz,/readyz,/metrics",
            exclude_spans=["receive", "send"],
        )
    ]


def uninstrument() -> None:
    """Undoes the process-wide instrumentation (the tests' cleanup)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().uninstrument()


def _otlp_provider(target: str) -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        if not target.rstrip("/").endswith("/v1/traces"):  # the base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT is
            target = target.rstrip("/") + "/v1/traces"
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
    provider = TracerProvider(resource=resource)  # shut down (spans flushed) when the process exits
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=target)))
    log.info("tracing: exporting spans over OTLP to %s", target)
    return provider
