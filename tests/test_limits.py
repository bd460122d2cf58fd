"""Cost limits before execution (gateway/limits/): documents too big, too deep, with too many aliases
or directives, or costing more than the budget are refused with QUERY_TOO_COMPLEX in milliseconds,
before validation or execution; requests without a valid key get introspection only."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, get_named_type, get_nullable_type, is_leaf_type, is_list_type, parse

from gateway.app import create_app
from gateway.db import models
from gateway.limits.cost import LIST_BOUNDS, estimate_cost
from gateway.settings import Settings
from resolvers.workflow import MAX_ASSETS_PER_CALL
from schema.build import build_schema

# The issue's nested fan-out: 4 levels of `assets(first: 100) { sets { ... } }` under one set.
FAN_OUT = """query($set: ID!, $first: PageSize!) { set(id: $set) {
  assets(first: $first) { sets { assets(first: $first) { sets { assets(first: $first) { sets {
    assets(first: $first) { id } } } } } } } } }"""

# The issue's text, literally.
ISSUE_FAN_OUT = (
    '{ set(id:"%s") { assets(first:100) { sets { assets(first:100) { sets { assets(first:100) { sets '
    "{ assets(first:100) { id } } } } } } } } }"
)

# The same, hidden in named fragments, inline fragments and aliases.
FAN_OUT_IN_FRAGMENTS = """query($set: ID!, $first: PageSize!) { s: set(id: $set) { ...Level } }
fragment Level on Set { a: assets(first: $first) { ... on Asset { sets { ...Level2 } } } }
fragment Level2 on Set { assets(first: $first) { sets { ...Level3 } } }
fragment Level3 on Set { assets(first: $first) { ... { sets { ...Leaf } } } }
fragment Leaf on Set { assets(first: $first) { id } }"""

# A page of 100 assets with every relation a client usually wants.
PAGE = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
  id externalId status jsonMetadata
  labels { id labelType jsonResponse author { id email } }
  latestLabel { id author { id } }
  project { id title }
  sets { id name }
  toBeLabeledBy { id email }
} }"""

# What GraphiQL and the Kili SDK (gql on graphql-core 3.2, same arguments) send on start.
INTROSPECTION = get_introspection_query(
    descriptions=True, directive_is_repeatable=True, schema_description=True, input_value_deprecation=True
)


def fan_out_cost(first: int) -> int:
    """FAN_OUT's cost by the rule in gateway/limits/cost.py: each `assets(first)` holds `first`
    assets, each `sets` the bound of Asset.sets, every object costs 1."""
    sets_per_asset = int(LIST_BOUNDS["Asset.sets"])
    cost = first  # the innermost assets { id }
    for _ in range(3):
        cost = first * (1 + sets_per_asset * (1 + cost))
    return 1 + cost  # the set itself


def aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


LABEL_SEARCH = 'labels(where: {search: "JOB.CAR.count > 0"}, first: 100, skip: 0) { id jsonResponse }'
COUNT_ASSETS = "countAssets(where: {})"


def bombs(set_id: str) -> dict[str, tuple[dict[str, Any], str]]:
    """name → (request body, the limit that refuses it)."""
    deep = "{ set(id: $set) { " + "originSet { " * 30 + "id" + " }" * 31 + " }"
    directives = "{ viewer " + "@include(if: true) " * 60 + "{ id } }"
    megabyte = "{ viewer { id } " + "viewer { id } " * (1_000_000 // 14) + "}"
    return {
        "nested fan-out": ({"query": ISSUE_FAN_OUT % set_id}, "cost"),
        "500 aliases of a label search": ({"query": aliases(500, LABEL_SEARCH)}, "tokens"),
        "5,000 aliases of countAssets": ({"query": aliases(5_000, COUNT_ASSETS)}, "documentBytes"),
        "a 1 MB document": ({"query": megabyte}, "documentBytes"),
        "a deep document": (
            {"query": deep.replace("{ set", "query($set: ID!) { set", 1), "variables": {"set": set_id}},
            "depth",
        ),
        "many directives": ({"query": directives}, "directives"),
        "16 aliases of a label search": ({"query": aliases(16, LABEL_SEARCH)}, "aliases"),
    }


def headers(key: str | None) -> dict[str, str]:
    return {"Authorization": f"X-API-Key: {key}"} if key else {}


async def timed_post(http: httpx.AsyncClient, body: dict[str, Any], key: str | None) -> tuple[float, dict]:
    """The answer and the time it took, from sending to the parsed answer (the body is encoded
    beforehand: that is the client's work, not the server's)."""
    content = json.dumps(body).encode()
    start = time.perf_counter()
    response = await http.post(
        "/graphql", content=content, headers={"content-type": "application/json", **headers(key)}
    )
    elapsed = time.perf_counter() - start
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    return elapsed, response.json()


def only_error(body: dict) -> dict:
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body["errors"][:3]
    return body["errors"][0]


async def _project(seeder, assets: int = 50) -> tuple[str, str, str]:
    """(an API key, a set of `assets` assets each in 2 sets, the project id)."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    rows = await seeder.assets(project, assets)
    big = await seeder.asset_set(project, rows)
    await seeder.asset_set(project, rows)
    return key, big.id, project.id


async def test_bombs_are_refused_in_milliseconds_while_another_client_keeps_its_pace(live_gateway, seeder) -> None:
    key, set_id, project_id = await _project(seeder)
    normal = {
        "query": "query($where: AssetWhere!) { countAssets(where: $where) "
        "assets(where: $where, first: 5, skip: 0) { id externalId sets { id name } } }",
        "variables": {"where": {"project": {"id": project_id}}},
    }
    attacks = [(name, body, limit, key) for name, (body, limit) in bombs(set_id).items()]
    # Without a key: the limits apply before authentication is looked at.
    attacks.append(
        ("5,000 aliases of countAssets, no key", {"query": aliases(5_000, COUNT_ASSETS)}, "documentBytes", None)
    )
    attacks.append(("500 aliases of a label search, no key", {"query": aliases(500, LABEL_SEARCH)}, "tokens", None))

    async with httpx.AsyncClient(base_url=live_gateway.url, timeout=60) as http:
        for _ in range(3):  # warm up connections and caches
            await timed_post(http, normal, key)
        for _, body, _, attacker_key in attacks:
            await timed_post(http, body, attacker_key)
        baseline = [(await timed_post(http, normal, key))[0] for _ in range(15)]

        under_attack: list[float] = []
        stop = asyncio.Event()

        async def other_client() -> None:
            while not stop.is_set():
                elapsed, body = await timed_post(http, normal, key)
                assert not body.get("errors") and body["data"]["countAssets"] == 50, body
                under_attack.append(elapsed)

        running = asyncio.create_task(other_client())
        refusals: dict[str, list[float]] = {}
        try:
            for name, body, limit, attacker_key in attacks:
                for _ in range(5):
                    elapsed, answer = await timed_post(http, body, attacker_key)
                    error = only_error(answer)
                    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", (name, error)
                    assert error["extensions"]["limit"] == limit, (name, error)
                    refusals.setdefault(name, []).append(elapsed)
        finally:
            stop.set()
            await running

    medians = {name: statistics.median(times) for name, times in refusals.items()}
    print("\nrefused in (median of 5, ms):", {name: round(t * 1000, 1) for name, t in medians.items()})
    print(
        f"other client: {statistics.median(baseline) * 1000:.1f} ms alone, "
        f"{statistics.median(under_attack) * 1000:.1f} ms under attack ({len(under_attack)} requests)"
    )
    assert all(t < 0.1 for t in medians.values()), medians
    assert len(under_attack) >= 3
    assert statistics.median(under_attack) < 3 * statistics.median(baseline) + 0.05


async def test_the_nested_fan_out_reports_its_cost_and_runs_with_small_pages(api, seeder) -> None:
    key, set_id, _ = await _project(seeder, assets=3)
    error = only_error(await api.raw(FAN_OUT, {"set": set_id, "first": 100}, key=key))
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "cost",
        "value": fan_out_cost(100),
        "maximum": 50_000,
        "requestId": error["extensions"]["requestId"],
    }
    assert str(fan_out_cost(100)) in error["message"]
    # The same shape with pages of 2 costs little and runs: the estimate follows the variables.
    assert fan_out_cost(2) < 50_000
    data = await api.data(FAN_OUT, {"set": set_id, "first": 2}, key=key)
    level = data["set"]["assets"]
    assert len(level) == 2 and all(len(a["sets"]) == 2 for a in level)
    assert len(level[0]["sets"][0]["assets"][0]["sets"][0]["assets"]) == 2


async def test_fragments_and_inline_fragments_do_not_hide_cost_or_aliases(api, seeder) -> None:
    key, set_id, _ = await _project(seeder, assets=2)
    error = only_error(await api.raw(FAN_OUT_IN_FRAGMENTS, {"set": set_id, "first": 100}, key=key))
    assert error["extensions"]["limit"] == "cost"
    assert error["extensions"]["value"] == fan_out_cost(100)
    assert (await api.data(FAN_OUT_IN_FRAGMENTS, {"set": set_id, "first": 1}, key=key))["s"]["a"]

    # 4 aliases in a fragment spread 5 times are 20 aliases.
    spread = "{ " + " ".join(f"p{i}: viewer {{ ...Four }}" for i in range(5)) + " }"
    four = "fragment Four on User { a: id b: id c: email d: email }"
    error = only_error(await api.raw(spread.replace("p0: ", "", 1) + four, key=key))
    assert error["extensions"]["limit"] == "aliases" and error["extensions"]["value"] == 4 * 5 + 4

    # Fragments each spreading the next twice: 2^40 aliases, measured without walking them all.
    chain = ["fragment F0 on Query { a: countAssets(where: {}) }"]
    chain += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 41)]
    start = time.perf_counter()
    error = only_error(await api.raw("{ ...F40 } " + " ".join(chain), key=key))
    assert time.perf_counter() - start < 0.5
    assert error["extensions"]["limit"] == "aliases" and error["extensions"]["value"] == 2**40


async def test_a_page_of_100_assets_with_their_relations_passes(api, seeder) -> None:
    org = await seeder.organization()
    admin, key = await seeder.user(org, admin=True)
    labeler, _ = await seeder.user(org)
    project = await seeder.project(org)
    assets = await seeder.assets(project, 100)
    await seeder.asset_set(project, assets)
    await seeder.add(
        *[
            models.Label(asset_id=a.id, project_id=project.id, author_id=u.id, label_type="DEFAULT", json_response={})
            for a in assets
            for u in (admin, labeler)
        ],
        *[models.AssetAssignee(asset_id=a.id, user_id=labeler.id) for a in assets],
    )
    rows = (await api.data(PAGE, {"where": {"project": {"id": project.id}}}, key=key))["assets"]
    assert len(rows) == 100
    assert all(len(r["labels"]) == 2 and len(r["sets"]) == 1 and r["project"]["id"] == project.id for r in rows)


async def test_requests_without_a_valid_key_get_introspection_only_and_one_error(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    for bad_key in (None, "lg_unknown"):
        error = only_error(await api.raw(aliases(10, COUNT_ASSETS), key=bad_key))
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        for query in (
            "{ __typename countProjects(where: {}) }",
            "{ ...Counts } fragment Counts on Query { countProjects(where: {}) }",
            "{ ... on Query { viewer { id } } }",
            'mutation { archiveProject(id: "x") { id } }',
        ):
            assert only_error(await api.raw(query, key=bad_key))["extensions"]["code"] == "UNAUTHENTICATED", query
    # With a key, the same aliases run.
    assert len(await api.data(aliases(10, COUNT_ASSETS), key=key)) == 10

    # GraphiQL's and the Kili SDK's introspection query passes without a key.
    body = await api.raw(INTROSPECTION, key=None)
    assert not body.get("errors") and any(t["name"] == "Asset" for t in body["data"]["__schema"]["types"])
    assert (await api.raw('{ __type(name: "Asset") { name fields { name } } __typename }', key=None))["data"]

    # But only introspection-sized work: a few schemas' worth, where a key allows much more.
    many = "{ " + " ".join(f"s{i}: __schema {{ queryType {{ name }} }}" for i in range(5)) + " }"
    error = only_error(await api.raw(many, key=None))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["limit"] == "cost"
    assert error["extensions"]["maximum"] == 3_000
    assert (await api.data(many, key=key))["s4"]["queryType"]["name"] == "Query"
    # Introspection costs a fixed amount because graphql-core's validation refuses it nested deeper.
    nested = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    error = only_error(await api.raw(nested, key=None))
    assert error["message"] == "Maximum introspection depth exceeded"


async def test_tokens_and_parser_depth_are_refused_while_parsing(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    padded = "{ viewer { id } }\n" + "# padding\n" * 2_000
    error = only_error(await api.raw(padded, key=key))
    assert error["extensions"]["limit"] == "tokens" and error["extensions"]["maximum"] == 1_000
    # Nested deeper than the parser follows, in fewer tokens than the limit.
    too_deep = "{" + "a{" * 400 + "b" + "}" * 401
    error = only_error(await api.raw(too_deep, key=key))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["limit"] == "depth"
    # Syntax errors still report themselves.
    error = only_error(await api.raw("{ viewer { id }", key=key))
    assert "Syntax Error" in error["message"]


async def test_a_refused_request_costs_one_statement_with_a_key_and_none_without(api, seeder, sql_counter) -> None:
    key, set_id, _ = await _project(seeder, assets=2)
    for attempt_key, expected in ((key, 1), (None, 0)):  # the key lookup, then nothing
        sql_counter.statements.clear()
        with sql_counter:
            error = only_error(await api.raw(FAN_OUT, {"set": set_id, "first": 100}, key=attempt_key))
        assert error["extensions"]["code"] in {"QUERY_TOO_COMPLEX", "UNAUTHENTICATED"}
        assert sql_counter.count == expected, sql_counter.statements


async def test_limits_follow_the_settings(settings: Settings, seeder) -> None:
    key, set_id, project_id = await _project(seeder, assets=3)
    strict = settings.model_copy(update={"max_cost": 100, "max_depth": 3, "max_aliases": 1})
    app = create_app(strict)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://labelgate.test") as http:
            flat = "query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) { id sets { id } } }"
            _, body = await timed_post(
                http, {"query": flat, "variables": {"where": {"project": {"id": project_id}}}}, key
            )
            error = only_error(body)
            assert error["extensions"]["limit"] == "cost" and error["extensions"]["maximum"] == 100
            _, body = await timed_post(http, {"query": "{ a: viewer { id } b: viewer { id } }"}, key)
            assert only_error(body)["extensions"]["limit"] == "aliases"
            _, body = await timed_post(
                http,
                {
                    "query": "query($s: ID!) { set(id: $s) { originSet { originSet { id } } } }",
                    "variables": {"s": set_id},
                },
                key,
            )
            assert only_error(body)["extensions"] == {
                "code": "QUERY_TOO_COMPLEX",
                "limit": "depth",
                "value": 4,
                "maximum": 3,
                "requestId": only_error(body)["extensions"]["requestId"],
            }
            _, body = await timed_post(http, {"query": "{ viewer { id } }"}, key)
            assert body["data"]["viewer"]["id"]
    finally:
        await app.state.services.engine.dispose()


def test_every_list_without_first_has_a_bound() -> None:
    """Adding a list field without `first` means saying here how long it can get."""
    schema = build_schema()._schema
    unbounded = set()
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        for field_name, field in (getattr(graphql_type, "fields", None) or {}).items():
            if not hasattr(field, "args") or "first" in field.args or is_leaf_type(get_named_type(field.type)):
                continue
            if is_list_type(get_nullable_type(field.type)):
                unbounded.add(f"{type_name}.{field_name}")
    assert unbounded == set(LIST_BOUNDS)
    assert {LIST_BOUNDS[f"AssetActionOutcome.{f}"] for f in ("succeeded", "declined", "failed")} == {
        MAX_ASSETS_PER_CALL
    }


@pytest.mark.parametrize("variables", [None, {"first": "many"}, {"first": 10**9}])
async def test_a_first_that_is_not_a_page_size_is_the_scalars_error_not_a_cost(api, seeder, variables) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    query = "query($first: PageSize!) { projects(where: {}, first: $first, skip: 0) { id roles { id } } }"
    error = (await api.raw(query, variables, key=key))["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_connection_paged_backward_costs_its_last() -> None:
    """`assetsConnection(last: n)` holds n assets, as `first: n` does (not the 100 of no page size)."""
    schema = build_schema()._schema
    selection = "{ nodes { id sets { id } } }"

    def cost(arguments: str, variables: dict | None = None) -> int:
        document = parse(f"query($n: PageSize) {{ assetsConnection(where: {{}}, {arguments}) {selection} }}")
        return estimate_cost(schema, document, None, variables, 100)

    per_asset = 1 + 1 + int(LIST_BOUNDS["Asset.sets"])  # the connection's node, the asset, its sets
    assert cost("first: 3") == cost("last: 3") == cost("last: $n", {"n": 3}) == 3 * per_asset
    assert cost("first: 3, last: 7") == 7 * per_asset  # refused by the field, never cheaper than either
    assert cost("last: $n") == 100 * per_asset  # no page size given: the most a page may hold
