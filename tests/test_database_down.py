"""PostgreSQL unreachable: every request with a key is refused with HTTP 503 SERVICE_UNAVAILABLE JSON
and `Retry-After`, whichever way the database is missing (stopped under pooled connections, refusing
connections, shutting down, lost in the middle of a request), and answers again at once when the
database is back. The test runs a PostgreSQL server of its own, stopped and started at will."""

from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asyncpg.exceptions import CannotConnectNowError, DataError, TooManyConnectionsError
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine

import gateway.app
from gateway.app import create_app
from gateway.db.migrate import upgrade
from gateway.db.unavailable import database_unavailable
from gateway.embedded import start_postgres
from gateway.embedded.postgres import PostgresServer
from gateway.settings import Settings
from tests.factories import Seeder

VIEWER = "{ viewer { id } }"
DATABASE = "labelgate_down"


class RestartablePostgres:
    """A PostgreSQL server in a temp dir that keeps its data and port across restarts."""

    def __init__(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="lg-pgdown-"))
        self.server: PostgresServer = start_postgres(self.base_dir, durable=False)
        self.server.create_database(DATABASE)
        self.url = self.server.url(DATABASE)

    def start(self) -> None:
        port = self.server.port
        self.server = start_postgres(self.base_dir, port, durable=False)
        assert self.server.port == port, "the restarted server must listen where the gateway connects"

    def stop(self) -> None:
        self.server.stop()

    def close(self) -> None:
        self.server.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[RestartablePostgres]:
    server = RestartablePostgres()
    try:
        upgrade(server.url)
        yield server
    finally:
        server.close()


class Gateway:
    """An app on the restartable server, its client, and a seeder on its engine."""

    def __init__(self, settings: Settings, database_url: str) -> None:
        app = create_app(settings.model_copy(update={"database_url": database_url}))
        self.engine: AsyncEngine = app.state.services.engine
        self.seeder = Seeder(app.state.services.session_factory)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://labelgate.test")

    async def ask(self, key: str, query: str = VIEWER) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query}, headers={"Authorization": f"X-API-Key: {key}"})

    async def viewer_key(self) -> tuple[str, str]:
        user, key = await self.seeder.user(await self.seeder.organization())
        return user.id, key


@pytest.fixture
async def gateway_on_it(postgres, settings: Settings) -> AsyncIterator[Gateway]:
    gateway = Gateway(settings, postgres.url)
    try:
        yield gateway
    finally:
        await gateway.client.aclose()
        await gateway.engine.dispose()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) > 0
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "database is unavailable" in error["message"]


async def test_stopped_postgresql_gives_503_and_the_first_request_after_its_restart_succeeds(
    postgres, gateway_on_it
) -> None:
    user_id, key = await gateway_on_it.viewer_key()
    assert (await gateway_on_it.ask(key)).json() == {"data": {"viewer": {"id": user_id}}}
    postgres.stop()
    # The pooled connection is dead first, then connections are refused; a mutation fares the same.
    for query in (VIEWER, VIEWER, 'mutation { unskipAsset(projectId: "p", assetId: "a") }'):
        assert_unavailable(await gateway_on_it.ask(key, query))
    postgres.start()
    response = await gateway_on_it.ask(key)
    assert response.status_code == 200 and response.json() == {"data": {"viewer": {"id": user_id}}}


async def test_postgresql_shutting_down_gives_503(postgres, gateway_on_it) -> None:
    """A smart shutdown waits for its last client, refusing new connections meanwhile
    (CannotConnectNowError, SQLSTATE 57P03)."""
    user_id, key = await gateway_on_it.viewer_key()
    await gateway_on_it.engine.dispose()  # the next request needs a new connection
    port = postgres.server.port
    held = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database=DATABASE)
    try:
        postgres.server.process.send_signal(signal.SIGTERM)
        await _until_refusing_connections(port)
        assert_unavailable(await gateway_on_it.ask(key))
    finally:
        await held.close()
    await asyncio.to_thread(postgres.server.process.wait, 30)
    postgres.start()
    assert (await gateway_on_it.ask(key)).json() == {"data": {"viewer": {"id": user_id}}}


async def _until_refusing_connections(port: int) -> None:
    for _ in range(200):
        try:
            connection = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database=DATABASE)
        except CannotConnectNowError:
            return
        await connection.close()
        await asyncio.sleep(0.02)
    raise AssertionError("PostgreSQL never started refusing connections")


async def test_a_connection_lost_during_execution_gives_503(postgres, gateway_on_it, monkeypatch) -> None:
    """The backend of the request's session is terminated right after authentication: the field's
    statement meets a closed connection."""
    _, key = await gateway_on_it.viewer_key()
    authenticate = gateway.app.authenticate

    async def authenticate_then_lose_the_connection(db, api_key, cache=None):
        viewer = await authenticate(db, api_key)  # not cached: the lookup runs on the request's connection
        pid = (await db.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(host="127.0.0.1", port=postgres.server.port, user="postgres", database=DATABASE)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        return viewer

    monkeypatch.setattr(gateway.app, "authenticate", authenticate_then_lose_the_connection)
    assert_unavailable(await gateway_on_it.ask(key))
    monkeypatch.setattr(gateway.app, "authenticate", authenticate)
    assert (await gateway_on_it.ask(key)).status_code == 200


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (CannotConnectNowError("the database system is starting up"), True),
        (TooManyConnectionsError("sorry, too many clients already"), True),
        (PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached"), True),
        (DataError("invalid input syntax for type integer"), False),
        (ConnectionRefusedError("not raised by the database driver"), False),
    ],
)
def test_what_counts_as_the_database_being_unavailable(exc: Exception, unavailable: bool) -> None:
    assert database_unavailable(exc) is unavailable


async def test_readyz_fails_while_postgresql_is_stopped_and_passes_once_it_is_back(postgres, gateway_on_it) -> None:
    ready = await gateway_on_it.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
    postgres.stop()
    try:
        for _ in range(2):  # the pooled connection is dead first, then connections are refused
            response = await gateway_on_it.client.get("/readyz")
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["status"] == "not ready"
            assert body["checks"]["database"] != "ok" and body["checks"]["migrations"].startswith("unknown")
            assert body["checks"]["storage"] == "ok"
        assert (await gateway_on_it.client.get("/healthz")).status_code == 200  # alive all along
    finally:
        postgres.start()
    response = await gateway_on_it.client.get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["database"] == "ok"


async def test_readyz_fails_while_the_database_is_behind_the_code(postgres, settings: Settings) -> None:
    """A database migrated to an older revision (a gateway started with --no-migrate after an upgrade)."""
    name = "labelgate_behind"
    postgres.server.create_database(name)
    url = postgres.server.url(name)
    await asyncio.to_thread(upgrade, url, "0005")
    gateway = Gateway(settings, url)
    try:
        response = await gateway.client.get("/readyz")
        assert response.status_code == 503, response.text
        checks = response.json()["checks"]
        assert checks["database"] == "ok" and checks["storage"] == "ok"
        assert checks["migrations"].startswith("behind: the database is at 0005"), checks
        await asyncio.to_thread(upgrade, url)
        response = await gateway.client.get("/readyz")
        assert response.status_code == 200 and response.json()["checks"]["migrations"] == "ok"
    finally:
        await gateway.client.aclose()
        await gateway.engine.dispose()
