"""`labelgate serve`: start the services if needed, migrate, bootstrap the first admin, run uvicorn.

Startup order: bind the HTTP port (so a busy port fails before anything starts), start the
embedded PostgreSQL and SeaweedFS when nothing is configured, migrate, create the first admin
on an empty database, then serve. SIGINT, SIGTERM and SIGHUP stop uvicorn, then SeaweedFS, then
PostgreSQL, and `serve` exits 0 (we install the handlers ourselves: a process started with `&`
from a script ignores SIGINT, trap T11, and uvicorn's own handlers would re-raise the signal).

stdout carries only what an operator or a script reads (`API key: ...` on the first start,
`GraphiQL: ...` once ready), flushed; every log line goes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from gateway.embedded_run import RunningServices, prepare_data_dir, start_services, write_services_file
from gateway.settings import Settings

log = logging.getLogger("labelgate.serve")

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Heavy imports (Strawberry, SQLAlchemy, Alembic: ~1.5 s) overlap with starting the services.
_PREFETCH = ("gateway.app", "uvicorn", "gateway.db.migrate", "gateway.bootstrap")


class ServeError(RuntimeError):
    """A startup problem the operator can fix; printed without a traceback."""


class _Stopped(Exception):
    """A stop signal arrived before the HTTP server ran."""


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".labelgate")
    migrate: bool = True
    admin_email: str = "admin@labelgate.local"
    access_log: bool = True


class _StopSignals:
    """Turns SIGINT/SIGTERM/SIGHUP into an orderly stop.

    Before uvicorn runs, a signal is only recorded and startup checks for it between steps, so
    whatever was started is stopped in order. Once uvicorn runs, it asks uvicorn to exit; a
    second signal forces it (open connections are dropped).
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.server: Any = None
        self._previous: dict[int, Any] = {}

    @contextlib.contextmanager
    def installed(self) -> Iterator[_StopSignals]:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in _STOP_SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        repeated = self.received is not None
        self.received = sig
        log.info("received %s: stopping", signal.Signals(sig).name)
        if self.server is not None:
            if repeated:
                self.server.force_exit = True
            self.server.should_exit = True

    def attach(self, server: Any) -> None:
        self.server = server
        if self.received is not None:
            server.should_exit = True

    def check(self) -> None:
        if self.received is not None:
            raise _Stopped


def bind_listener(host: str, port: int) -> socket.socket:
    """The HTTP socket, bound before anything else starts so that a busy port fails fast (it doesn't move)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot resolve --host {host!r}: {exc}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"cannot listen on {host}:{port}: {exc.strerror}. Another server (another labelgate?) uses it: "
            "stop it or pass --port."
        ) from None
    return sock


def public_url(host: str, sock: socket.socket) -> str:
    """``http://host:port`` for people: a wildcard address is shown as the loopback one."""
    port = sock.getsockname()[1]
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _embedded_settings(settings: Settings, services: RunningServices) -> Settings:
    """Settings pointing at the embedded services. Signed URLs name the embedded S3 on 127.0.0.1,
    unless LABELGATE_S3_PUBLIC_ENDPOINT says otherwise (e.g. a reverse proxy in front of it)."""
    return settings.model_copy(
        update={
            "database_url": services.database_url,
            "s3_endpoint": services.s3.endpoint,
            "s3_public_endpoint": settings.s3_public_endpoint or services.s3.endpoint,
            "s3_access_key": services.credentials.access_key,
            "s3_secret_key": services.credentials.secret_key,
            "s3_secure": False,
            # resolved while the settings still say embedded: rate limiting is off there unless set
            "rate_limit_per_minute": settings.requests_per_minute,
        }
    )


def _ensure_external_bucket(settings: Settings) -> None:
    """Create the bucket on a configured S3 if it is missing; a refusal (e.g. a cloud policy) only warns."""
    from gateway.storage import Storage

    try:
        Storage(settings).ensure_bucket()
    except Exception as exc:  # the gateway can still serve; uploads will report the cause
        log.warning("could not check or create bucket %r on %s: %s", settings.s3_bucket, settings.s3_endpoint, exc)


class _Prefetch(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="prefetch-imports", daemon=True)

    def run(self) -> None:
        for module in _PREFETCH:
            with contextlib.suppress(Exception):  # a real import error resurfaces in the main thread
                importlib.import_module(module)


def serve(settings: Settings, options: ServeOptions) -> int:
    """Run until a stop signal; 0 after an orderly stop. Raises ServeError (and others) on startup failure."""
    with _StopSignals().installed() as signals:
        try:
            return _serve(settings, options, signals)
        except _Stopped:
            log.info("stopped during startup")
            return 0


def _serve(settings: Settings, options: ServeOptions, signals: _StopSignals) -> int:
    started = time.monotonic()
    listener = bind_listener(options.host, options.port)
    with contextlib.ExitStack() as stack:
        stack.callback(listener.close)
        prefetch = _Prefetch()
        prefetch.start()
        services: RunningServices | None = None
        if settings.embedded:
            data_dir = prepare_data_dir(options.data_dir)
            log.info("embedded mode: PostgreSQL and S3 under %s", data_dir)
            services = stack.enter_context(start_services(data_dir, settings.s3_bucket))
            settings = _embedded_settings(settings, services)
            if options.host not in ("127.0.0.1", "localhost", "::1"):
                log.warning("the embedded S3 listens on 127.0.0.1 only: signed URLs work for clients on this machine")
        signals.check()
        prefetch.join()
        assert settings.database_url is not None
        if options.migrate:
            from gateway.db.migrate import upgrade

            upgrade(settings.database_url)
            log.info("database migrated to the latest revision")
            signals.check()
        if services is None:
            _ensure_external_bucket(settings)
        from gateway.app import create_app

        # Our access line (gateway.logs) replaces uvicorn's, which knows no request id.
        app = create_app(settings.model_copy(update={"access_log": settings.access_log and options.access_log}))
        try:
            return asyncio.run(_run_http(app, settings, options, listener, signals, services, started))
        except SystemExit as exc:  # uvicorn exits this way when the app's startup fails
            raise ServeError(f"the HTTP server failed to start (code {exc.code}); see the log above") from None


async def _run_http(
    app: Any,
    settings: Settings,
    options: ServeOptions,
    listener: socket.socket,
    signals: _StopSignals,
    services: RunningServices | None,
    started: float,
) -> int:
    import uvicorn

    from gateway.bootstrap import database_session, ensure_first_admin

    assert settings.database_url is not None
    async with database_session(settings.database_url) as session:
        admin = await ensure_first_admin(session, email=options.admin_email)
    if admin is not None:
        print(f"API key: {admin.api_key}", flush=True)
        log.info(
            "first start: created organization %r and its admin %s; the API key above is shown only once "
            "(the database keeps its hash)",
            admin.organization_name,
            admin.email,
        )

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # keep our handlers (see _StopSignals)
            yield

    config = uvicorn.Config(app, log_config=None, lifespan="on", access_log=False, timeout_graceful_shutdown=10)
    server = Server(config)
    signals.attach(server)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started and signals.received is None:
        url = public_url(options.host, listener)
        log.info("ready in %.2f s", time.monotonic() - started)
        print(f"GraphiQL: {url}/graphql", flush=True)
        if services is not None:
            write_services_file(services, {"url": url})
    await task
    return 0
