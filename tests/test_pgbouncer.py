"""The gateway behind PgBouncer in transaction pooling mode (LABELGATE_DATABASE_PGBOUNCER): many
concurrent requests over two server connections answer correctly (and, to show what the setting
is for, fail without it), and a statement still stops when the time budget runs out or the client
hangs up, though PgBouncer hides the server's process id and no statement_timeout is set.
(tests/test_kili_sdk_pgbouncer.py runs the Kili SDK tests through it.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.engine import make_engine
from gateway.errors import ErrorCode
from tests.factories import unique
from tests.live import LiveGateway
from tests.test_timeouts import (
    COUNT_PROJECTS,
    STUCK_SECONDS,
    _connection,
    _headers,
    _post_and_hang_up,
    _viewer_key,
    app_client,
    blocked_statements,
    holding_lock,
    wait_for,
    write_cancelled_midway,
)

ASSET = "query($id: ID!) { asset(id: $id) { id externalId status } }"
ASSETS = "query($where: AssetWhere!) { assets(where: $where, first: 10, skip: 0) { id externalId labels { id } } }"
UPDATE = """mutation($whereArray: [AssetWhere!]!, $dataArray: [AssetData!]!) {
  data: updatePropertiesInAssets(where: $whereArray, data: $dataArray) { id priority } }"""
REQUESTS = 60


async def _concurrent_requests(settings, seeder, **changes) -> list[tuple[dict, dict]]:
    """(answer, expected answer) of REQUESTS requests sent at once to an app made with `changes`:
    planned `asset(id)` reads (sent straight through asyncpg), resolver reads and updates (sessions,
    transactions), each a new statement text or a repeated one."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    assets = await seeder.assets(project, REQUESTS)
    cases: list[tuple[str, dict, dict]] = []
    for i, asset in enumerate(assets):
        if i % 3 == 0:
            expected = {"asset": {"id": asset.id, "externalId": asset.external_id, "status": "TODO"}}
            cases.append((ASSET, {"id": asset.id}, expected))
        elif i % 3 == 1:
            where = {"project": {"id": project.id}, "externalIdIn": [asset.external_id]}
            cases.append(
                (
                    ASSETS,
                    {"where": where},
                    {"assets": [{"id": asset.id, "externalId": asset.external_id, "labels": []}]},
                )
            )
        else:
            variables = {"whereArray": [{"id": asset.id}], "dataArray": [{"priority": i}]}
            cases.append((UPDATE, variables, {"data": [{"id": asset.id, "priority": i}]}))
    async with app_client(settings, **changes) as (client, _app):
        responses = await asyncio.gather(
            *[client.post("/graphql", json={"query": q, "variables": v}, headers=_headers(key)) for q, v, _ in cases]
        )
    return [(response.json(), {"data": expected}) for response, (_, _, expected) in zip(responses, cases, strict=True)]


async def test_many_concurrent_requests_over_two_server_connections_answer_correctly(pgbouncer_settings, seeder):
    answers = await _concurrent_requests(pgbouncer_settings, seeder, database_pool_size=10)
    wrong = [(answer, expected) for answer, expected in answers if answer != expected]
    assert wrong == [], wrong[:3]


async def _run_concurrently(engine: AsyncEngine) -> list[BaseException | int]:
    """REQUESTS tasks at once, each running two statements on a connection of `engine`: outside a
    transaction (AUTOCOMMIT, as queries run) and inside one; statement texts shared between tasks."""

    async def task(i: int) -> int:
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            first = (await autocommit.execute(text(f"SELECT {i % 5} + CAST(:n AS int)"), {"n": i})).scalar_one()
        async with engine.begin() as conn:
            second = (await conn.execute(text(f"SELECT {i % 7} * CAST(:n AS int)"), {"n": i})).scalar_one()
        return first + second - (i % 5) - (i % 7) * i

    return await asyncio.gather(*[task(i) for i in range(REQUESTS)], return_exceptions=True)


async def test_without_the_setting_prepared_statements_collide(pgbouncer, settings):
    """What the setting is for: asyncpg names the statements it caches per client connection
    (__asyncpg_stmt_1__, ...); behind PgBouncer they meet on shared server connections, or are
    looked for on one that never saw them. With the setting, the same work goes through."""
    engine = make_engine(pgbouncer.url, 10)
    try:
        outcomes = await _run_concurrently(engine)
    finally:
        await engine.dispose()
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert failures, "all went through without the setting: this test no longer shows anything"
    assert all("prepared statement" in str(f) for f in failures), failures[:3]

    engine = make_engine(pgbouncer.url, 10, statement_timeout_seconds=30, pgbouncer=True)
    try:
        assert await _run_concurrently(engine) == [i for i in range(REQUESTS)]
    finally:
        await engine.dispose()


async def test_without_the_setting_pgbouncer_refuses_the_statement_timeout(pgbouncer):
    engine = make_engine(pgbouncer.url, statement_timeout_seconds=30)
    try:
        with pytest.raises(DBAPIError, match="unsupported startup parameter: statement_timeout"):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()


async def test_out_of_time_the_statement_stops_through_pgbouncer(pgbouncer_settings, settings, seeder):
    """No statement_timeout behind PgBouncer: the budget's cancel alone stops the statement, sent as a
    CancelRequest that PgBouncer forwards to the server connection running it."""
    key = await _viewer_key(seeder)
    async with app_client(pgbouncer_settings, request_timeout_seconds=1) as (client, app):
        pool = app.state.services.engine.pool
        assert (await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))).status_code == 200
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            start = time.monotonic()
            request = asyncio.create_task(
                client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
            )
            answered, _ = await asyncio.wait([request], timeout=STUCK_SECONDS)
            elapsed = time.monotonic() - start
            left = await blocked_statements(conn)
        response = await request  # answered at the latest once the lock is gone
        assert answered, "the statement was never stopped"
        assert left == []
        assert 1 <= elapsed < 2.5, elapsed
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == ErrorCode.TIMEOUT.value
        assert pool.checkedout() == 0
        response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        assert response.json() == {"data": {"countProjects": 0}}


async def test_a_write_cancelled_midway_through_pgbouncer_leaves_nothing(pgbouncer_settings, settings, seeder):
    key = await _viewer_key(seeder)
    title = unique("cancelled")
    async with app_client(pgbouncer_settings, request_timeout_seconds=2) as (client, app):
        response = await write_cancelled_midway(client, settings, key, title)
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == ErrorCode.TIMEOUT.value
        assert app.state.services.engine.pool.checkedout() == 0
        response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        assert response.status_code == 200
    async with _connection(settings) as check:
        assert await check.fetchval("SELECT count(*) FROM project WHERE title = $1", title) == 0


async def test_a_client_that_hangs_up_stops_its_statement_through_pgbouncer(pgbouncer_settings, settings, seeder):
    key = await _viewer_key(seeder)
    gateway = LiveGateway(pgbouncer_settings).start()
    try:
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            writer = await _post_and_hang_up(gateway.url, COUNT_PROJECTS, {}, key)

            async def count_waits() -> bool:
                return bool(await blocked_statements(conn))

            await wait_for(count_waits, 2)
            writer.close()  # the budget (30 s) is far from spent, and no statement_timeout is set

            async def statement_gone() -> bool:
                return await blocked_statements(conn) == []

            assert await wait_for(statement_gone, 1) < 1
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        assert response.json() == {"data": {"countProjects": 0}}
    finally:
        gateway.stop()


def test_migrations_and_user_commands_work_through_pgbouncer(pgbouncer, settings):
    """`labelgate migrate` and `create-user` (and `serve`'s first admin) make throwaway engines, each in
    a process of its own: asyncpg numbers its cached statements per process (__asyncpg_stmt_1__, ...),
    so without the caches off the next process's names meet those the last one left on the few
    server connections ("prepared statement ... already exists")."""
    org_name = unique("cli-org")
    env = {**os.environ, "LABELGATE_DATABASE_URL": pgbouncer.url, "LABELGATE_S3_ENDPOINT": settings.s3_endpoint or ""}
    commands = [["migrate"]] + [
        ["create-user", "--email", f"{unique('cli')}@example.com", "--organization", org_name] for _ in range(2)
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", *command], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
