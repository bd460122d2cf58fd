"""Every list and count answers without arguments: `where` defaults to `{}`, `first` to the largest
page (LABELGATE_MAX_PAGE_SIZE, as the schema a server builds says), `skip` to 0 (schema/queries/args.py),
on the resolver path and on the planned one alike."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type, is_leaf_type

from gateway.app import create_app
from schema.build import build_schema
from tests.conftest import Api, SqlCounter

SMALL_PAGE = 3


def _list_and_count_fields() -> dict[tuple[str, str], object]:
    """Every field of an object type that takes `where`, `first` or `skip`, mutations left out (a
    write must name what it acts on)."""
    schema = build_schema()._schema
    found = {}
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__") or named is schema.mutation_type:
            continue
        for name, field in named.fields.items():
            if {"where", "first", "skip"} & set(field.args):
                found[(named.name, name)] = field
    return found


def _selection(field) -> str:
    """`{ id }` (or `{ nodes { id } }` for a connection, `{ __typename }` otherwise) for an object
    field, nothing for a scalar one."""
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return ""
    if "id" in named.fields:
        return "{ id }"
    if "nodes" in named.fields:
        return "{ nodes { id } }"
    return "{ __typename }"


def _explicit(field, max_page_size: int) -> str:
    given = {"where": "{}", "first": str(max_page_size), "skip": "0"}
    arguments = [f"{name}: {given[name]}" for name in given if name in field.args]
    return f"({', '.join(arguments)})" if arguments else ""


def test_every_list_and_count_defaults_its_arguments() -> None:
    """Still non-null (what the Kili SDK declares), but optional: `{}`, the largest page, 0."""
    fields = _list_and_count_fields()
    assert len(fields) >= 30
    for (type_name, name), field in fields.items():
        for argument_name, argument in field.args.items():
            if argument_name not in ("where", "first", "skip"):
                continue
            if (type_name, name, argument_name) == ("Query", "assetsConnection", "first"):
                # paging either way (`first` or `last`): neither means the first page, as large as they get
                assert argument.default_value is None and not isinstance(argument.type, GraphQLNonNull)
                continue
            assert isinstance(argument.type, GraphQLNonNull), (type_name, name, argument_name)
            expected = {"where": {}, "first": 100, "skip": 0}[argument_name]
            assert argument.default_value == expected, (type_name, name, argument_name)
    assert build_schema(max_page_size=7)._schema.query_type.fields["assets"].args["first"].default_value == 7


async def _world(seeder, assets: int = 4):
    org = await seeder.organization()
    admin, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    session = await seeder.session(project, start_time=start, end_time=start + timedelta(minutes=1))
    rows = [
        await seeder.asset(project, session_id=session.id, timestamp=start + timedelta(seconds=i))
        for i in range(assets)
    ]
    for row in rows:
        await seeder.label(row, admin)
        await seeder.event(session)
    asset_set = await seeder.asset_set(project, rows)
    return key, project, rows, asset_set, session


async def test_lists_and_counts_answer_without_arguments(api, seeder) -> None:
    key, project, assets, asset_set, session = await _world(seeder)
    ids = [a.id for a in assets]
    assert await api.data("{ countProjects }", key=key) == {"countProjects": 1}
    assert [a["id"] for a in (await api.data("{ assets { id } }", key=key))["assets"]] == ids
    labels = (await api.data("{ labels { id assetId } }", key=key))["labels"]
    assert [label["assetId"] for label in labels] == ids
    counts = await api.data(
        "{ countAssets countLabels countSets countSessions countSessionEvents countIssues }", key=key
    )
    assert counts == {
        "countAssets": 4,
        "countLabels": 4,
        "countSets": 1,
        "countSessions": 1,
        "countSessionEvents": 4,
        "countIssues": 0,
    }
    # skip alone, first alone, where alone
    assert [a["id"] for a in (await api.data("{ assets(skip: 1) { id } }", key=key))["assets"]] == ids[1:]
    assert [a["id"] for a in (await api.data("{ assets(first: 2) { id } }", key=key))["assets"]] == ids[:2]
    narrowed = await api.data("query($id: ID!) { assets(where: {id: $id}) { id } }", {"id": ids[2]}, key=key)
    assert narrowed == {"assets": [{"id": ids[2]}]}
    # nested lists
    nested = await api.data(
        "query($s: ID!, $t: ID!) { set(id: $s) { assets { id } } session(id: $t) { assets { id } events { id } } }",
        {"s": asset_set.id, "t": session.id},
        key=key,
    )
    assert [a["id"] for a in nested["set"]["assets"]] == ids
    assert [a["id"] for a in nested["session"]["assets"]] == ids and len(nested["session"]["events"]) == 4
    # every list and count: without arguments, the same answer as with `where: {}, first: <max>, skip: 0`
    for (type_name, name), field in _list_and_count_fields().items():
        if type_name != "Query":
            continue
        bare = await api.raw(f"{{ {name} {_selection(field)} }}", key=key)
        explicit = await api.raw(f"{{ {name}{_explicit(field, 100)} {_selection(field)} }}", key=key)
        assert "errors" not in bare and bare == explicit, (name, bare, explicit)
    # null is still refused: the arguments stay non-null
    error = await api.error("{ countAssets(where: null) }", key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "non-null" in error["message"], error


async def test_the_kili_sdks_variables_still_fit(api, seeder) -> None:
    """Both SDK generations declare `$where: AssetWhere!, $first: PageSize!, $skip: Int!` (or a
    nullable `$first: PageSize`): either fits the defaulted arguments."""
    key, project, assets, _set, _session = await _world(seeder)
    for declared in ("PageSize!", "PageSize"):
        document = f"""query($where: AssetWhere!, $first: {declared}, $skip: Int!) {{
            data: assets(where: $where, first: $first, skip: $skip) {{ id }} count: countAssets(where: $where) }}"""
        data = await api.data(document, {"where": {"project": {"id": project.id}}, "first": 2, "skip": 1}, key=key)
        assert [a["id"] for a in data["data"]] == [a.id for a in assets[1:3]] and data["count"] == 4


@pytest.fixture
async def small_page_app(settings):
    """A server whose largest page is SMALL_PAGE."""
    app = create_app(settings.model_copy(update={"max_page_size": SMALL_PAGE}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://labelgate.test") as client:
        yield app, Api(client)
    await app.state.services.engine.dispose()


async def test_an_omitted_first_is_the_largest_page(small_page_app, seeder) -> None:
    app, api = small_page_app
    key, project, assets, asset_set, session = await _world(seeder, assets=SMALL_PAGE + 2)
    ids = [a.id for a in assets]
    introspected = await api.data('{ __type(name: "Query") { fields { name args { name defaultValue } } } }', key=key)
    defaults = {(f["name"], a["name"]): a["defaultValue"] for f in introspected["__type"]["fields"] for a in f["args"]}
    assert defaults[("assets", "first")] == str(SMALL_PAGE) and defaults[("projects", "first")] == str(SMALL_PAGE)
    assert defaults[("assets", "skip")] == "0"
    assert [a["id"] for a in (await api.data("{ assets { id } }", key=key))["assets"]] == ids[:SMALL_PAGE]
    assert [a["id"] for a in (await api.data("{ assets(skip: 3) { id } }", key=key))["assets"]] == ids[3:]
    assert len((await api.data("{ labels { id } }", key=key))["labels"]) == SMALL_PAGE
    nested = await api.data(
        "query($s: ID!, $t: ID!) { set(id: $s) { assets { id } } session(id: $t) { assets { id } events { id } } }",
        {"s": asset_set.id, "t": session.id},
        key=key,
    )
    assert [a["id"] for a in nested["set"]["assets"]] == ids[:SMALL_PAGE]
    assert len(nested["session"]["assets"]) == SMALL_PAGE and len(nested["session"]["events"]) == SMALL_PAGE
    page = await api.data("{ assetsConnection { nodes { id } pageInfo { hasNextPage endCursor } } }", key=key)
    assert [a["id"] for a in page["assetsConnection"]["nodes"]] == ids[:SMALL_PAGE]
    assert page["assetsConnection"]["pageInfo"]["hasNextPage"] is True
    rest = await api.data(
        "query($c: String) { assetsConnection(after: $c) { nodes { id } pageInfo { hasNextPage } } }",
        {"c": page["assetsConnection"]["pageInfo"]["endCursor"]},
        key=key,
    )
    assert [a["id"] for a in rest["assetsConnection"]["nodes"]] == ids[SMALL_PAGE:]
    # `last` alone still pages backward
    last = await api.data("{ assetsConnection(last: 2) { nodes { id } } }", key=key)
    assert [a["id"] for a in last["assetsConnection"]["nodes"]] == ids[-2:]
    # the planner fills the same default: one statement, the same page
    counter = SqlCounter(app.state.services.engine)
    await api.data("{ assets { id } countProjects }", key=key)  # planned and prepared once
    with counter:
        planned = await api.data("{ assets { id } countProjects }", key=key)
    assert [a["id"] for a in planned["assets"]] == ids[:SMALL_PAGE] and planned["countProjects"] == 1
    assert sum("json_build_object" in s for s in counter.driver_statements) == 1, counter.statements
    assert counter.count <= 2, counter.statements
    # the version the Kili SDK keys its schema cache on follows the schema served
    version = (await api.client.get("/api/label/v2/version")).json()["version"]
    served = build_schema(max_page_size=SMALL_PAGE).as_str()
    assert version.split("+")[1] == hashlib.sha256(served.encode()).hexdigest()[:12]
    assert served != build_schema().as_str()
