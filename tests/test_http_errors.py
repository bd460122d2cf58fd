"""Every refusal is GraphQL-shaped JSON with `extensions.code` and a fitting HTTP status: syntax and
validation errors, unreadable or oddly shaped bodies, batches, GET mutations, unknown paths and
methods, crashes; validation errors name no schema suggestions; a failing field never costs the
request its database connection."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

import gateway.app
from schema.build import build_schema

VIEWER = "{ viewer { id } }"


def refusal(response: httpx.Response, status: int, code: str) -> dict:
    """The single coded error of a refused request, after checking its status and JSON shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.text
    body = response.json()
    assert set(body) <= {"data", "errors"} and body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["message"] and "Traceback" not in error["message"]
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return error


async def post_raw(client: httpx.AsyncClient, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return await client.post("/graphql", content=body, headers={"Content-Type": content_type})


# --- GraphQL documents -----------------------------------------------------------------------------


async def test_syntax_errors_are_graphql_parse_failed(client) -> None:
    error = refusal(await client.post("/graphql", json={"query": "{ viewer "}), 200, "GRAPHQL_PARSE_FAILED")
    assert error["message"].startswith("Syntax Error") and error["locations"] == [{"line": 1, "column": 10}]


async def test_a_document_nested_too_deeply_is_refused_before_parsing(client) -> None:
    """graphql-core's "Document is nested too deeply" had no code; the document limits (gateway/limits)
    now refuse such a document before the parser recurses (by its size, tokens or depth)."""
    for depth in (100_000, 5_000):
        deep = "[" * depth + "]" * depth
        response = await client.post("/graphql", json={"query": f"{{ countSets(where: {{idIn: {deep}}}) }}"})
        assert refusal(response, 200, "QUERY_TOO_COMPLEX")["extensions"]["limit"] in {
            "documentBytes",
            "tokens",
            "depth",
        }


async def _key(seeder) -> dict[str, str]:
    """Headers with a valid key: without one, anything but introspection is UNAUTHENTICATED before it is
    validated (gateway/limits), so the validation and HTTP-level answers below are a member's."""
    _, key = await seeder.user(await seeder.organization())
    return {"Authorization": f"X-API-Key: {key}"}


async def test_validation_errors_are_graphql_validation_failed_without_suggestions(client, seeder) -> None:
    headers = await _key(seeder)
    response = await client.post("/graphql", json={"query": "{ viewr { id } }"}, headers=headers)
    error = refusal(response, 200, "GRAPHQL_VALIDATION_FAILED")
    assert error["message"] == "Cannot query field 'viewr' on type 'Query'."
    response = await client.post("/graphql", json={"query": "{ countSets(whre: {}) }"}, headers=headers)
    errors = response.json()["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert not any("Did you mean" in e["message"] for e in errors), errors


async def test_values_of_the_wrong_type_are_bad_user_input_without_suggestions_in_variables_or_literals(
    client, seeder
) -> None:
    headers = await _key(seeder)
    query = "query($where: SetWhere!) { countSets(where: $where) }"
    variables = {"where": {"nameContain": "a"}}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    error = refusal(response, 200, "BAD_USER_INPUT")
    assert "nameContain" in error["message"] and "Did you mean" not in error["message"]
    for literal in ['{nameContain: "a"}', "{createdAtGte: 3}"]:
        response = await client.post("/graphql", json={"query": f"{{ countSets(where: {literal}) }}"}, headers=headers)
        assert "Did you mean" not in refusal(response, 200, "BAD_USER_INPUT")["message"]
    page = "{ sets(where: {}, first: 101, skip: 0) { id } }"
    response = await client.post("/graphql", json={"query": page}, headers=headers)
    assert "100" in refusal(response, 200, "BAD_USER_INPUT")["message"]


async def test_suggestions_come_back_when_the_setting_turns_them_on() -> None:
    document = "{ viewr { id } }"
    hinted = await build_schema(suggestions=True).execute(document)
    assert hinted.errors[0].message.endswith("Did you mean 'viewer'?")
    assert hinted.errors[0].extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
    query = "query($where: SetWhere!) { countSets(where: $where) }"
    coerced = await build_schema(suggestions=True).execute(query, variable_values={"where": {"nameContain": "a"}})
    assert "Did you mean 'nameContains'" in coerced.errors[0].message
    plain = await build_schema().execute(document)
    assert "Did you mean" not in plain.errors[0].message


# --- request bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"query": ', "not valid JSON"),
        (b"\xff\xfe\xfa", "not valid JSON"),
        (b'"{ viewer { id } }"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b'{"query": "{ viewer { id } }", "variables": "x"}', "`variables` must be a JSON object"),
        (b'{"query": "{ viewer { id } }", "extensions": []}', "`extensions` must be a JSON object"),
        (b'{"query": "{ viewer { id } }", "operationName": 1}', "`operationName` must be a string"),
        (b'{"variables": {}}', "no `query`"),
        (b'{"query": ["{ viewer { id } }"]}', "`query` must be a string"),
        (b'{"query": ""}', "`query` is empty"),
    ],
)
async def test_unreadable_or_misshapen_bodies_are_400_bad_user_input(client, body: bytes, says: str) -> None:
    assert says in refusal(await post_raw(client, body), 400, "BAD_USER_INPUT")["message"]


async def test_batched_requests_are_refused_as_unsupported(client) -> None:
    response = await client.post("/graphql", json=[{"query": VIEWER}, {"query": VIEWER}])
    assert "Batched requests are not supported" in refusal(response, 400, "BAD_USER_INPUT")["message"]


async def test_a_body_nested_100000_deep_is_400_not_a_crash(client) -> None:
    body = b'{"query": "{ viewer { id } }", "variables": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    assert "nested too deeply" in refusal(await post_raw(client, body), 400, "BAD_USER_INPUT")["message"]


async def test_a_body_that_is_not_json_is_415(client) -> None:
    response = await post_raw(client, b"query=%7B%20viewer%20%7B%20id%20%7D%20%7D", "application/x-www-form-urlencoded")
    assert "application/json" in refusal(response, 415, "BAD_USER_INPUT")["message"]


async def test_get_variables_that_are_not_a_json_object_are_400(client) -> None:
    async def get(variables: str) -> httpx.Response:
        params = {"query": "{ __typename }", "variables": variables}
        return await client.get("/graphql", params=params, headers={"Accept": "*/*"})

    assert "`variables` parameter" in refusal(await get("{not json"), 400, "BAD_USER_INPUT")["message"]
    assert "`variables` must be a JSON object" in refusal(await get("[1]"), 400, "BAD_USER_INPUT")["message"]
    assert (await get("")).json() == {"data": {"__typename": "Query"}}  # left empty: no variables


async def test_unknown_operation_names_are_400(client, seeder) -> None:
    body = {"query": "query A { viewer { id } }", "operationName": "B"}
    response = await client.post("/graphql", json=body, headers=await _key(seeder))
    assert "'B'" in refusal(response, 400, "BAD_USER_INPUT")["message"]


# --- methods and paths ---------------------------------------------------------------------------


async def test_a_mutation_over_get_is_405(client, seeder) -> None:
    mutation = 'mutation { unskipAsset(projectId: "p", assetId: "a") }'
    response = await client.get("/api/label/v2/graphql", params={"query": mutation}, headers=await _key(seeder))
    assert "POST" in refusal(response, 405, "BAD_USER_INPUT")["message"]
    assert response.headers["allow"] == "POST"


async def test_queries_over_get_still_work(client, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    response = await client.get("/graphql", params={"query": VIEWER}, headers={"Authorization": f"X-API-Key: {key}"})
    assert response.status_code == 200 and response.json() == {"data": {"viewer": {"id": user.id}}}


async def test_unknown_paths_are_404_not_found(client) -> None:
    response = await client.get("/graphq")
    assert "/graphq" in refusal(response, 404, "NOT_FOUND")["message"]
    refusal(await client.post("/api/label/v2/nothing", json={"query": VIEWER}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/graphql"), ("DELETE", "/api/label/v2/graphql"), ("POST", "/healthz")]
)
async def test_methods_a_path_does_not_take_are_405(client, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert method in refusal(response, 405, "BAD_USER_INPUT")["message"]
    assert "GET" in response.headers["allow"]


async def test_an_unexpected_crash_is_a_masked_500_json(app, monkeypatch, caplog) -> None:
    async def broken(request):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(gateway.app, "read_graphql_request", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.test") as client:
        with caplog.at_level(logging.ERROR):
            response = await client.post("/graphql", json={"query": VIEWER})
    error = refusal(response, 500, "INTERNAL")
    assert "secret detail" not in response.text and error["extensions"]["requestId"] in error["message"]


# --- one failing field -----------------------------------------------------------------------------

FAILING_BESIDE_GOOD = '{ viewer { createdAt } countSets(where: {createdAtGte: ""}) }'


@contextmanager
def pool_churn(engine: AsyncEngine) -> Iterator[list[str]]:
    """The connections the engine's pool opens and invalidates meanwhile."""
    events: list[str] = []

    def connected(*args: object) -> None:
        events.append("connect")

    def invalidated(*args: object) -> None:
        events.append("invalidate")

    event.listen(engine.sync_engine, "connect", connected)
    event.listen(engine.sync_engine, "invalidate", invalidated)
    try:
        yield events
    finally:
        event.remove(engine.sync_engine, "connect", connected)
        event.remove(engine.sync_engine, "invalidate", invalidated)


async def test_a_failing_field_never_loses_the_connection_of_its_siblings(api, app, seeder, caplog) -> None:
    """The failing field makes the executor cancel `viewer`, whose statement is in flight: the
    statement finishes, the connection stays in the pool, and nothing is logged."""
    org = await seeder.organization()
    _, key = await seeder.user(org)
    await api.data("{ viewer { createdAt } }", key=key)
    engine = app.state.services.engine
    checked_in = engine.pool.checkedin()
    with pool_churn(engine) as churn, caplog.at_level(logging.WARNING):
        for _ in range(200):
            error = await api.error(FAILING_BESIDE_GOOD, key=key)
            assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["path"] == ["countSets"]
    assert churn == [], "pooled connections were dropped and opened again"
    assert engine.pool.checkedin() == checked_in and engine.pool.checkedout() == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


UNSKIP_TWO = """mutation($projectId: ID!, $assetId: ID!) {
  bad: unskipAsset(projectId: $projectId, assetId: "no-such-asset")
  good: unskipAsset(projectId: $projectId, assetId: $assetId)
}"""


async def test_a_failing_field_beside_a_good_one_returns_the_data_and_the_coded_error(api, seeder) -> None:
    """`bad` fails after two statements of its transaction (rolled back); `good` runs next on the
    same session and answers."""
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "LABELER"})
    asset = await seeder.asset(project, skipped=True, skip_reason="blurry")
    body = await api.raw(UNSKIP_TWO, {"projectId": project.id, "assetId": asset.id}, key=key)
    assert body["data"] == {"bad": None, "good": asset.id}
    [error] = body["errors"]
    assert error["path"] == ["bad"] and error["extensions"]["code"] == "NOT_FOUND"
    state = await api.data(
        "query($id: ID!) { assets(where: {id: $id}, first: 1, skip: 0) { skipped } }", {"id": asset.id}, key=key
    )
    assert state["assets"] == [{"skipped": False}]


async def test_a_live_server_keeps_its_connections_and_logs_no_asgi_exception(live_gateway, seeder) -> None:
    """The same over uvicorn, where the symptom was "Exception in ASGI application … cannot call
    Transaction.rollback(): the underlying connection is closed"."""
    _, key = await seeder.user(await seeder.organization())
    headers = {"Authorization": f"X-API-Key: {key}"}
    problems: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = problems.append
    loggers = [logging.getLogger("uvicorn.error"), logging.getLogger("labelgate")]  # uvicorn's do not propagate
    for logger in loggers:
        logger.addHandler(handler)
    try:
        async with httpx.AsyncClient(base_url=live_gateway.url) as client:
            await client.post("/graphql", json={"query": "{ viewer { createdAt } }"}, headers=headers)
            with pool_churn(live_gateway.server.config.app.state.services.engine) as churn:
                for _ in range(50):
                    response = await client.post("/graphql", json={"query": FAILING_BESIDE_GOOD}, headers=headers)
                    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    # Over HTTP the answer leaves before its session is closed (after a cancelled DataLoader batch
    # finished its statement), so the next requests may need a few more connections, which stay in
    # the pool; a dropped one would be invalidated and reopened on every request.
    assert "invalidate" not in churn and churn.count("connect") < 10, churn
    assert [r.getMessage() for r in problems] == []
