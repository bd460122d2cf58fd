"""Session fixtures: a real PostgreSQL and a real S3 (SeaweedFS), the migrated database, the app.

Set TEST_DATABASE_URL (a database the tests may migrate) and TEST_S3_ENDPOINT, TEST_S3_ACCESS_KEY,
TEST_S3_SECRET_KEY, TEST_S3_BUCKET to run against services of your own instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from gateway.app import create_app
from gateway.db.driver import statement_watchers
from gateway.db.migrate import upgrade
from gateway.embedded import ensure_bucket, start_postgres, start_seaweedfs
from gateway.settings import Settings
from tests.factories import Seeder

S3_ACCESS_KEY = "test-access-key"
S3_SECRET_KEY = "test-secret-key"


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    started: list[Any] = []
    dirs: list[Path] = []
    try:
        database_url = os.environ.get("TEST_DATABASE_URL")
        if not database_url:
            pg_dir = Path(tempfile.mkdtemp(prefix="lg-pg-"))
            dirs.append(pg_dir)
            postgres = start_postgres(pg_dir, durable=False)
            started.append(postgres)
            postgres.create_database("labelgate_test")
            database_url = postgres.url("labelgate_test")
        s3 = {
            "endpoint": os.environ.get("TEST_S3_ENDPOINT"),
            "access": os.environ.get("TEST_S3_ACCESS_KEY", S3_ACCESS_KEY),
            "secret": os.environ.get("TEST_S3_SECRET_KEY", S3_SECRET_KEY),
            "bucket": os.environ.get("TEST_S3_BUCKET", "labelgate-test"),
        }
        if not s3["endpoint"]:
            s3_dir = Path(tempfile.mkdtemp(prefix="lg-s3-"))
            dirs.append(s3_dir)
            weed = start_seaweedfs(s3_dir, access_key=s3["access"], secret_key=s3["secret"])
            started.append(weed)
            s3["endpoint"] = weed.endpoint
        ensure_bucket(s3["endpoint"], s3["access"], s3["secret"], s3["bucket"])
        upgrade(database_url)
        yield Settings(
            database_url=database_url,
            s3_endpoint=s3["endpoint"],
            s3_access_key=s3["access"],
            s3_secret_key=s3["secret"],
            s3_bucket=s3["bucket"],
            cors_origins=["http://ui.example"],
            # the suite sends hundreds of requests a second; tests/test_rate_limit.py turns it on
            rate_limit_per_minute=0,
            # the statement pins count each request's key lookup; tests/test_auth_cache.py and
            # tests/test_sql_count.py turn the cache on (and pin what it saves)
            auth_cache_seconds=0,
        )
    finally:
        for server in reversed(started):
            server.stop()
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def seeder(app) -> Seeder:
    return Seeder(app.state.services.session_factory)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://labelgate.test") as c:
        yield c


class SqlCounter:
    """Counts the SQL statements the app sends while active: those of its engine (SQLAlchemy's
    event) and those sent around SQLAlchemy (`gateway.db.driver`, also kept in `driver_statements`)."""

    def __init__(self, engine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []
        self.driver_statements: list[str] = []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def _on_driver_statement(self, engine, statement: str) -> None:
        if engine.sync_engine is not self.engine:
            return
        self.statements.append(statement)
        self.driver_statements.append(statement)

    def __enter__(self) -> SqlCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        statement_watchers.append(self._on_driver_statement)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        statement_watchers.remove(self._on_driver_statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def sql_counter(app) -> SqlCounter:
    return SqlCounter(app.state.services.engine)


class Api:
    """Posts GraphQL to the in-process app with an API key."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def raw(self, query: str, variables: dict | None = None, *, key: str | None, path: str = "/graphql") -> dict:
        headers = {"Authorization": f"X-API-Key: {key}"} if key else {}
        response = await self.client.post(path, json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()

    async def data(self, query: str, variables: dict | None = None, *, key: str) -> dict:
        """The `data` of a request that must succeed."""
        body = await self.raw(query, variables, key=key)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict | None = None, *, key: str | None) -> dict:
        """The first error of a request that must fail."""
        body = await self.raw(query, variables, key=key)
        assert body.get("errors"), body
        return body["errors"][0]


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture(scope="session")
def live_gateway(settings: Settings):
    from tests.live import LiveGateway

    gateway = LiveGateway(settings).start()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="session")
def kili_driver():
    """The SDK of today (kili 26.2.4, `.venv-kili`)."""
    from tests.live import KILI_PYTHON, KiliDriver

    driver = KiliDriver(KILI_PYTHON)
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def kili_legacy_driver():
    """The SDK generation teams still pin (kili 2.164.0, `.venv-kili-legacy`)."""
    from tests.live import KILI_LEGACY_PYTHON, KiliDriver

    driver = KiliDriver(KILI_LEGACY_PYTHON)
    yield driver
    driver.close()


def _connector(driver, live_gateway):
    """`connect(api_key)` → a Kili SDK client of `driver`'s generation (checks on) talking to the live
    gateway; `connect(api_key, domain=True)` → the SDK's domain client (`kili.issues.list(...)`, 26.x)."""
    from tests.factories import unique

    def connect(api_key: str, *, domain: bool = False):
        endpoint = f"{live_gateway.url}/api/label/v2/graphql"
        return driver.connect(unique("kili"), api_key, endpoint, domain=domain)

    return connect


@pytest.fixture
def kili_connect(kili_driver, live_gateway):
    """`kili_connect(api_key)` → a kili 26.2.4 client (checks on) talking to the live gateway."""
    return _connector(kili_driver, live_gateway)


@pytest.fixture
def kili_legacy_connect(kili_legacy_driver, live_gateway):
    """`kili_legacy_connect(api_key)` → a kili 2.164.0 client (checks on) talking to the live gateway."""
    return _connector(kili_legacy_driver, live_gateway)


@pytest.fixture(scope="session")
def pgbouncer(settings: Settings):
    """PgBouncer in transaction mode in front of the test database, with 2 server connections: a
    client's consecutive transactions land on different ones all the time (tests/pgbouncer.py)."""
    from tests.pgbouncer import PgBouncer

    assert settings.database_url
    bouncer = PgBouncer(settings.database_url, pool_size=2)
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="session")
def pgbouncer_settings(settings: Settings, pgbouncer) -> Settings:
    """The test settings with the database reached through PgBouncer (and the setting for it on)."""
    return settings.model_copy(update={"database_url": pgbouncer.url, "database_pgbouncer": True})
