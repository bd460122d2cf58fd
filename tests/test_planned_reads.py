"""The planned-read lane (gateway/planned_reads.py): a planned query by a key the auth cache holds is
answered with one statement sent through asyncpg, no session; its statement still stops when the
time budget runs out or the client hangs up, its failures are answered as the usual way answers
them, and it declines what it does not cover. (The rest of the suite runs with the auth cache off:
there the lane looks the key up on the request's session, and every planned query still goes
through it; tests/test_planner.py checks its answers against the resolvers'.)"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from gateway.errors import ErrorCode
from tests.conftest import SqlCounter
from tests.factories import unique
from tests.live import LiveGateway
from tests.test_timeouts import (
    COUNT_PROJECTS,
    _headers,
    _post_and_hang_up,
    _viewer_key,
    app_client,
    blocked_statements,
    cancel_statements_blocked_by,
    holding_lock,
    wait_for,
)

ASSET = "query($id: ID!) { asset(id: $id) { id externalId status project { title } } }"


async def test_a_known_key_costs_one_statement_and_no_session(settings, seeder):
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org, title=unique("lane"))
    asset = await seeder.asset(project, external_id="frame-1")
    async with app_client(settings, auth_cache_seconds=10) as (client, app):
        services = app.state.services
        counter = SqlCounter(services.engine)
        body = {"query": ASSET, "variables": {"id": asset.id}}
        first = await client.post("/graphql", json=body, headers=_headers(key))
        expected = {"id": asset.id, "externalId": "frame-1", "status": "TODO", "project": {"title": project.title}}
        assert first.json() == {"data": {"asset": expected}}
        sessions = []
        factory = services.session_factory
        services.session_factory = lambda: sessions.append(1) or factory()
        with counter:
            again = await client.post("/graphql", json=body, headers=_headers(key))
        assert again.json() == first.json() and again.headers["content-type"] == "application/json"
        assert "x-request-id" in again.headers
        # the whole answer in one statement, sent around SQLAlchemy; no key lookup, no session
        assert counter.count == 1 and counter.driver_statements == counter.statements
        assert sessions == []
        assert services.engine.pool.checkedout() == 0
        # another id of the same shape: the same statement text, its own answer
        other = await seeder.asset(project, external_id="frame-2")
        with counter:
            response = await client.post(
                "/graphql", json={"query": ASSET, "variables": {"id": other.id}}, headers=_headers(key)
            )
        assert response.json()["data"]["asset"]["externalId"] == "frame-2"
        assert counter.driver_statements[0] == counter.driver_statements[1]
        # an unknown id: the lane finds nothing and the resolvers answer NOT_FOUND
        response = await client.post(
            "/graphql", json={"query": ASSET, "variables": {"id": "nope"}}, headers=_headers(key)
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "request_body",
    [
        {"query": "mutation($t: String!) { createProject(data: {title: $t, inputType: IMAGE}) { title } }"},
        {"query": "{ projects(where: {}, first: 1, skip: 0) { id numberOfAssets } }"},
        {"query": "query($n: PageSize!) { projects(where: {}, first: $n, skip: 0) { id } }", "variables": {"n": 500}},
    ],
    ids=["mutation", "not planned", "variables that do not coerce"],
)
async def test_what_the_lane_does_not_cover_goes_the_usual_way(settings, seeder, request_body):
    key = await _viewer_key(seeder)
    if "$t" in request_body["query"]:
        request_body = {**request_body, "variables": {"t": unique("usual")}}
    async with app_client(settings, auth_cache_seconds=10) as (client, app):
        counter = SqlCounter(app.state.services.engine)
        await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))  # key cached
        with counter:
            response = await client.post("/graphql", json=request_body, headers=_headers(key))
        assert counter.driver_statements == [] and counter.count >= (0 if "errors" in response.json() else 1)
        body = response.json()
        if "variables" in request_body and "n" in request_body["variables"]:
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        else:
            assert "errors" not in body and body["data"]


async def test_out_of_time_in_the_lane_answers_timeout_and_keeps_the_connection(settings, seeder):
    key = await _viewer_key(seeder)
    async with app_client(settings, request_timeout_seconds=1, auth_cache_seconds=30) as (client, app):
        pool = app.state.services.engine.pool
        assert (await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))).status_code == 200
        counter = SqlCounter(app.state.services.engine)
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            start = time.monotonic()
            with counter:
                response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
            elapsed = time.monotonic() - start
            assert await blocked_statements(conn) == []
        assert len(counter.driver_statements) == 1  # it was the lane's statement that waited
        assert 1 <= elapsed < 2.5, elapsed
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == ErrorCode.TIMEOUT.value
        assert pool.checkedout() == 0
        response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        assert response.json() == {"data": {"countProjects": 0}}


async def test_a_statement_failing_in_the_lane_is_answered_on_its_root_field(settings, seeder):
    key = await _viewer_key(seeder)
    async with app_client(settings, auth_cache_seconds=30) as (client, app):
        await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            request = asyncio.create_task(
                client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
            )
            await wait_for(lambda: cancel_statements_blocked_by(conn), 2)
            response = await request
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == ErrorCode.TIMEOUT.value and error["path"] == ["countProjects"]
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert response.json()["data"] is None
        assert response.headers.get_list("content-length") == [str(len(response.content))]  # one, and right
        assert app.state.services.engine.pool.checkedout() == 0


async def test_a_client_that_hangs_up_stops_the_lanes_statement(settings, seeder):
    key = await _viewer_key(seeder)
    gateway = LiveGateway(settings.model_copy(update={"auth_cache_seconds": 30})).start()
    try:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        engine = gateway.server.config.app.state.services.engine
        async with holding_lock(settings, "LOCK TABLE project IN ACCESS EXCLUSIVE MODE") as conn:
            writer = await _post_and_hang_up(gateway.url, COUNT_PROJECTS, {}, key)

            async def count_waits() -> bool:
                return any("json_build_object" in q for q in await blocked_statements(conn))

            await wait_for(count_waits, 2)
            writer.close()

            async def statement_gone() -> bool:
                return await blocked_statements(conn) == []

            assert await wait_for(statement_gone, 1) < 1

        async def connection_back() -> bool:
            return engine.pool.checkedout() == 0

        await wait_for(connection_back, 1)
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.post("/graphql", json={"query": COUNT_PROJECTS}, headers=_headers(key))
        assert response.json() == {"data": {"countProjects": 0}}
    finally:
        gateway.stop()
