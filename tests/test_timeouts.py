"""The request time budget and cancellation: a request out of time answers TIMEOUT and stops its
statement, a write cancelled midway leaves nothing, a client that leaves stops its work, and the
gateway keeps serving. Slow requests are made slow for real: the test holds a PostgreSQL lock that
a legitimate statement of the request has to wait for, and watches it in pg_stat_activity."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gateway.app import create_app
from gateway.db.engine import make_engine
from gateway.deadline import statement_timeout_error
from gateway.errors import ErrorCode
from gateway.settings import Settings
from tests.factories import Seeder, unique
from tests.live import KiliError, LiveGateway

COUNT_PROJECTS = "query { countProjects(where: {}) }"
# A request whose statement no cancel reaches waits for the test's lock for good (behind PgBouncer no
# statement_timeout stops it either): the test fails after this long and lets go of the lock.
STUCK_SECONDS = 10
CREATE_PROJECT = "mutation($title: String!) { createProject(data: {title: $title, inputType: IMAGE}) { id } }"


def _dsn(settings: Settings) -> str:
    assert settings.database_url
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def holding_lock(settings: Settings, statement: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own holding `statement`'s table lock until the block ends."""
    conn = await asyncpg.connect(_dsn(settings))
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute(statement)
        try:
            yield conn
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


async def blocked_statements(conn: asyncpg.Connection) -> list[str]:
    """Statements of labelgate connections now waiting for a lock `conn` holds."""
    # Within a transaction PostgreSQL snapshots pg_stat_activity at its first read: drop the snapshot.
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = await conn.fetch(
        "SELECT query FROM pg_stat_activity WHERE application_name = 'labelgate' AND state = 'active'"
        " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    return [row["query"] for row in rows]


async def wait_for(condition, seconds: float) -> float:
    """Polls the async `condition` until it is true; the seconds it took. Fails after `seconds`."""
    start = time.monotonic()
    while not await condition():
        assert time.monotonic() - start < seconds, f"not true within {seconds} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@asynccontextmanager
async def app_client(settings: Settings, **changes) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    """A client of an app of its own, made with `changes` to the settings."""
    app = create_app(settings.model_copy(update=changes))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.test") as client:
            yield client, app
    finally:
        await app.state.services.engine.dispose()


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"X-API-Key: {key}"}


async def _viewer_key(seeder: Seeder) -> str:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    return key


async def test_a_request_out_of_time_answers_timeout_and_its_statement_stops(settings, seeder):
    key = await _viewer_key(seeder)
    async with app_client(settings, request_timeout_seconds=1) as (client, app):
        pool = app.state.services.engine.pool
        assert (await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))).status_code == 200
        assert pool.checkedin() == 1
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            start = time.monotonic()
            response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
            elapsed = time.monotonic() - start
            # Answered once the budget ran out, and the statement it waited in is gone at once.
            assert await blocked_statements(conn) == []
        assert 1 <= elapsed < 2.5, elapsed
        assert response.status_code == 504
        body = response.json()
        assert body.get("data") is None
        error = body["errors"][0]
        assert error["extensions"]["code"] == ErrorCode.TIMEOUT.value
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert "time budget (1 s)" in error["message"]
        # The connection went back to the pool (not dropped) and works: the app answers the next request.
        assert (pool.checkedout(), pool.checkedin()) == (0, 1)
        response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        assert response.status_code == 200
        assert response.json() == {"data": {"countProjects": 0}}


async def test_a_write_cancelled_midway_by_the_budget_leaves_nothing(settings, seeder):
    key = await _viewer_key(seeder)
    title = unique("cancelled")
    async with app_client(settings, request_timeout_seconds=2) as (client, app):
        response = await write_cancelled_midway(client, settings, key, title)
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == ErrorCode.TIMEOUT.value
        assert app.state.services.engine.pool.checkedout() == 0
    async with _connection(settings) as conn:
        assert await conn.fetchval("SELECT count(*) FROM project WHERE title = $1", title) == 0


async def write_cancelled_midway(client: httpx.AsyncClient, settings: Settings, key: str, title: str) -> httpx.Response:
    """The answer to `createProject(title)`, sent while a lock of the test's holds back its second
    INSERT: the project row is in, the member row waits, and the time budget runs out with the write
    half done. On the way, checks that the half-done write is invisible to others, and that the
    waiting statement was stopped (within STUCK_SECONDS) and is gone once the answer came."""
    async with holding_lock(settings, "LOCK TABLE project_member IN EXCLUSIVE MODE") as conn:
        request = asyncio.create_task(
            client.post(
                "/graphql", json={"query": CREATE_PROJECT, "variables": {"title": title}}, headers=_headers(key)
            )
        )

        async def member_insert_waits() -> bool:
            return any("INSERT INTO project_member" in q for q in await blocked_statements(conn))

        await wait_for(member_insert_waits, 2)
        assert await conn.fetchval("SELECT count(*) FROM project WHERE title = $1", title) == 0  # uncommitted
        answered, _ = await asyncio.wait([request], timeout=STUCK_SECONDS)
        left = await blocked_statements(conn)
    response = await request  # answered at the latest once the lock is gone
    assert answered, "the statement was never stopped"
    assert left == []
    return response


@asynccontextmanager
async def _connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_dsn(settings))
    try:
        yield conn
    finally:
        await conn.close()


async def test_every_gateway_connection_has_the_budget_as_statement_timeout(settings):
    engine = make_engine(settings.database_url, statement_timeout_seconds=0.5)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW statement_timeout"))).scalar_one() == "500ms"
            with pytest.raises(DBAPIError) as raised:
                await conn.execute(text("SELECT pg_sleep(3)"))
            timeout = statement_timeout_error(raised.value)
            assert timeout is not None and timeout.code == ErrorCode.TIMEOUT
        assert engine.pool.checkedout() == 0
    finally:
        await engine.dispose()
    assert statement_timeout_error(ValueError("x")) is None


async def cancel_statements_blocked_by(conn) -> bool:
    """Cancels (pg_cancel_backend) the gateway's statements waiting for `conn`'s lock; True once some were."""
    pids = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'labelgate'"
        " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    return bool(pids) and all([await conn.fetchval("SELECT pg_cancel_backend($1)", p["pid"]) for p in pids])


async def test_a_cancelled_statement_in_a_resolver_is_timeout_not_internal(settings, seeder, app, api):
    """PostgreSQL's query_canceled (what statement_timeout raises; here sent by pg_cancel_backend)."""
    key = await _viewer_key(seeder)
    async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
        request = asyncio.create_task(api.raw(COUNT_PROJECTS, key=key))

        await wait_for(lambda: cancel_statements_blocked_by(conn), 2)
        body = await request
    error = body["errors"][0]
    assert error["extensions"]["code"] == ErrorCode.TIMEOUT.value, error
    assert error["path"] == ["countProjects"]


async def test_a_cancelled_statement_while_authenticating_is_timeout(settings, seeder, client):
    key = await _viewer_key(seeder)
    async with holding_lock(settings, "LOCK TABLE api_key IN ACCESS EXCLUSIVE MODE") as conn:
        request = asyncio.create_task(client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key)))

        await wait_for(lambda: cancel_statements_blocked_by(conn), 2)
        response = await request
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == ErrorCode.TIMEOUT.value


async def _post_and_hang_up(url: str, query: str, variables: dict, key: str) -> asyncio.StreamWriter:
    """Sends a GraphQL POST over a raw socket and returns the writer (closing it hangs up)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = json.dumps({"query": query, "variables": variables}).encode()
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: labelgate\r\nContent-Type: application/json\r\n"
        + f"Authorization: X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    return writer


async def test_a_client_that_hangs_up_stops_its_work_and_the_gateway_keeps_serving(settings, seeder, live_gateway):
    key = await _viewer_key(seeder)
    title = unique("abandoned")
    engine = live_gateway.server.config.app.state.services.engine
    async with holding_lock(settings, "LOCK TABLE project_member IN EXCLUSIVE MODE") as conn:
        writer = await _post_and_hang_up(live_gateway.url, CREATE_PROJECT, {"title": title}, key)

        async def member_insert_waits() -> bool:
            return any("INSERT INTO project_member" in q for q in await blocked_statements(conn))

        await wait_for(member_insert_waits, 2)
        writer.close()  # the client goes away; the gateway's budget (30 s) is far from spent

        async def statement_gone() -> bool:
            return await blocked_statements(conn) == []

        took = await wait_for(statement_gone, 1)
        assert took < 1
    await wait_for(lambda: _true(engine.pool.checkedout() == 0), 1)
    async with _connection(settings) as check:
        assert await check.fetchval("SELECT count(*) FROM project WHERE title = $1", title) == 0
    async with httpx.AsyncClient(base_url=live_gateway.url) as client:
        response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
    assert response.json() == {"data": {"countProjects": 0}}


async def _true(value: bool) -> bool:
    return value


async def test_the_kili_sdk_reports_a_timeout_without_resending(settings, seeder, kili_driver):
    key = await _viewer_key(seeder)
    gateway = LiveGateway(settings.model_copy(update={"request_timeout_seconds": 1})).start()
    try:
        kili = kili_driver.connect(unique("timeout"), key, f"{gateway.url}/api/label/v2/graphql")
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            start = time.monotonic()
            with pytest.raises(KiliError) as raised:
                await asyncio.to_thread(kili.count_projects)
            elapsed = time.monotonic() - start
            assert await blocked_statements(conn) == []
        assert "time budget (1 s)" in raised.value.message
        assert elapsed < 1.9, "sent once: a resend would have waited another second"
        assert kili.count_projects() == 0
    finally:
        gateway.stop()
