"""Authentication, error codes and masking, HTTP plumbing (gzip bodies, size limit, CORS, version)."""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import replace
from datetime import timedelta

import pytest

import resolvers.projects
from resolvers.planner.roots import ROOTS

VIEWER = "{ viewer { id email } }"


async def test_both_header_forms_authenticate(api, client, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    assert (await api.data(VIEWER, key=key))["viewer"] == {"id": user.id, "email": user.email}
    response = await client.post("/api/label/v2/graphql", json={"query": VIEWER}, headers={"X-API-Key": key})
    assert response.json()["data"]["viewer"]["id"] == user.id


@pytest.mark.parametrize("header", ["Bearer {key}", "bearer  {key} ", "X-API-Key: {key}", "x-api-key:{key}"])
async def test_authorization_header_forms_authenticate(client, seeder, header) -> None:
    """`Authorization: Bearer <key>` (any case of the scheme), next to the Kili SDK's `X-API-Key:` form."""
    user, key = await seeder.user(await seeder.organization())
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": header.format(key=key)})
    assert response.json() == {"data": {"viewer": {"id": user.id, "email": user.email}}}


async def test_a_bearer_token_that_is_not_a_key_is_refused(client) -> None:
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": "Bearer lg_nope"})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Unknown or revoked" in response.json()["errors"][0]["message"]


async def test_the_missing_key_error_names_every_accepted_header(api) -> None:
    message = (await api.error(VIEWER, key=None))["message"]
    for form in ("Authorization: Bearer <key>", "Authorization: X-API-Key: <key>", "'X-API-Key: <key>'"):
        assert form in message, message


@pytest.mark.parametrize("case", ["missing", "unknown", "expired"])
async def test_bad_keys_get_a_json_unauthenticated_error(api, seeder, case) -> None:
    org = await seeder.organization()
    _, expired = await seeder.user(org, expires_in=timedelta(seconds=-1))
    key = {"missing": None, "unknown": "lg_nope", "expired": expired}[case]
    body = await api.raw(VIEWER, key=key)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The Kili SDK's constructor check is a substring test on the body: it must not pass.
    assert "email" not in json.dumps(body)


async def test_api_keys_answer_the_kili_constructor_check(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    _, other_key = await seeder.user(org)
    query = "query($where: ApiKeyWhere!) { data: apiKeys(where: $where, skip: 0, first: 1) { expiryDate } }"
    rows = (await api.data(query, {"where": {"key": key}}, key=key))["data"]
    assert len(rows) == 1 and rows[0]["expiryDate"].endswith("Z") and len(rows[0]["expiryDate"]) == 24
    # Another user's key is not the viewer's to see.
    assert (await api.data(query, {"where": {"key": other_key}}, key=key))["data"] == []


async def test_introspection_needs_no_key_and_omits_locations_graphql_core_32_rejects(api) -> None:
    body = await api.raw("{ __schema { directives { name locations } } }", key=None)
    locations = {loc for d in body["data"]["__schema"]["directives"] for loc in d["locations"]}
    assert "FIELD" in locations
    assert not locations & {"DIRECTIVE_DEFINITION", "FRAGMENT_VARIABLE_DEFINITION"}


async def test_page_size_over_100_is_bad_user_input_and_unknown_fields_fail_validation(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    query = "query($first: PageSize!) { projects(where: {}, first: $first, skip: 0) { id } }"
    error = await api.error(query, {"first": 101}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "100" in error["message"]
    error = await api.error("{ projects(where: {}, first: 1, skip: 0) { nope } }", key=key)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(api, seeder, monkeypatch, caplog) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)

    async def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    def broken_rows(*args, **kwargs):
        raise RuntimeError("secret detail")

    # through the resolvers (numberOfAssets is not planned), then through the planner
    monkeypatch.setattr(resolvers.projects, "list_projects", broken)
    monkeypatch.setitem(ROOTS, "projects", replace(ROOTS["projects"], rows=broken_rows))
    for fields in ("id numberOfAssets", "id title"):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="labelgate.errors"):
            error = await api.error(f"{{ projects(where: {{}}, first: 1, skip: 0) {{ {fields} }} }}", key=key)
        assert error["extensions"]["code"] == "INTERNAL"
        assert error["path"] == ["projects"]
        assert "secret detail" not in error["message"]
        request_id = error["extensions"]["requestId"]
        assert request_id in error["message"]
        assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_gzip_request_bodies_are_inflated(client, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    body = gzip.compress(json.dumps({"query": VIEWER}).encode())
    response = await client.post(
        "/api/label/v2/graphql",
        content=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json", "Authorization": f"X-API-Key: {key}"},
    )
    assert response.json()["data"]["viewer"]["id"] == user.id
    response = await client.post("/graphql", content=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_oversized_bodies_get_payload_too_large(client, app) -> None:
    limit = app.state.services.settings.max_body_bytes
    response = await client.post("/graphql", content=b"x" * (limit + 1), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    bomb = gzip.compress(b" " * (limit + 1))
    response = await client.post("/graphql", content=bomb, headers={"Content-Encoding": "gzip"})
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_cors_preflight_and_version_and_graphiql(client) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": "http://ui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.headers["access-control-allow-origin"] == "http://ui.example"
    response = await client.options(
        "/graphql", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers
    version = (await client.get("/api/label/v2/version")).json()["version"]
    assert version.startswith("0.1.0+")
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert page.headers["x-request-id"]
