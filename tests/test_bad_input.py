"""Bad input answers BAD_USER_INPUT (or the right answer), never INTERNAL: NUL characters, long lists,
negative `skip`, numbers beyond PostgreSQL's integers, `%` and `_` in substring filters, extreme dates,
JSON strings jsonb refuses. And writes that bind one array per list, locking rows in id order."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type
from sqlalchemy import func, select, text

from gateway.app import create_app
from gateway.db import models
from schema.build import build_schema
from tests.live import KiliError

PROJECTS = "query($where: ProjectWhere!) { projects(where: $where, first: 100, skip: 0) { id title } }"
ASSETS = "query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) { id } }"
COUNT_ASSETS = "query($where: AssetWhere!) { countAssets(where: $where) }"
LABELS = "query($where: LabelWhere!) { labels(where: $where, first: 100, skip: 0) { id } }"
CREATE_PROJECT = "mutation($data: CreateProjectData!) { createProject(data: $data) { id } }"
APPEND = """mutation($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  appendManyAssets(data: $data, where: $where) { id } }"""
UPDATE = """mutation($where: [AssetWhere!]!, $data: [AssetData!]!) {
  updatePropertiesInAssets(where: $where, data: $data) { id } }"""
SETS = "query($where: SetWhere!) { sets(where: $where, first: 100, skip: 0) { id } }"
SESSIONS = "query($where: SessionWhere!) { sessions(where: $where, first: 100, skip: 0) { id } }"


async def _team(seeder):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "ADMIN"})
    return org, user, key, project


def _bad(error: dict, *fragments: str) -> None:
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error["message"])


# --- NUL characters -----------------------------------------------------------------------------


async def test_nul_characters_in_strings_are_refused_naming_the_argument(app, api, seeder) -> None:
    org, user, key, project = await _team(seeder)
    _bad(await api.error(CREATE_PROJECT, {"data": {"title": "a\u0000"}}, key=key), "data.title", "NUL")
    # In a literal of the document as well as in a variable.
    _bad(await api.error('mutation { createProject(data: {title: "a\\u0000"}) { id } }', key=key), "data.title")
    _bad(await api.error(ASSETS, {"where": {"externalIdIn": ["ok", "b\u0000"]}}, key=key), "where.externalIdIn[1]")
    _bad(await api.error(ASSETS, {"where": {"id": "\u0000"}}, key=key), "where.id")
    _bad(await api.error(ASSETS, {"where": {"project": {"searchQuery": "\u0000"}}}, key=key), "where.project")
    _bad(await api.error(ASSETS, {"where": {"metadata": {"k\u0000": 1}}}, key=key), "where.metadata")
    _bad(await api.error(ASSETS, {"where": {"metadata": {"k": ["a", "\u0000"]}}}, key=key), "where.metadata.k[1]")
    _bad(await api.error(LABELS, {"where": {"authorIn": ["\u0000"]}}, key=key), "where.authorIn[0]")
    _bad(await api.error("query($id: ID!) { set(id: $id) { id } }", {"id": "\u0000"}, key=key), "id")
    assert await _count(app, models.Project, models.Project.organization_id == org.id) == 1


async def test_json_strings_jsonb_cannot_store_are_refused(app, api, seeder) -> None:
    """`\\u0000` escapes, NaN/Infinity and numbers beyond double precision: valid for Python's json,
    refused by PostgreSQL's jsonb."""
    org, user, key, project = await _team(seeder)
    asset = await seeder.asset(project)
    for bad in ['{"a": "x\\u0000"}', '{"\\u0000": 1}', '{"a": NaN}', '{"a": Infinity}', '{"a": [1e400]}']:
        data = {"title": "p", "jsonInterface": bad}
        _bad(await api.error(CREATE_PROJECT, {"data": data}, key=key), "jsonInterface")
        data = {"contentArray": ["https://example.com/a.jpg"], "externalIDArray": ["a"], "jsonMetadataArray": [bad]}
        _bad(await api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key), "jsonMetadata")
        pairs = {"where": [{"id": asset.id}], "data": [{"jsonMetadata": bad}]}
        _bad(await api.error(UPDATE, pairs, key=key), "Pair 0", "jsonMetadata")
    assert await _count(app, models.Project, models.Project.organization_id == org.id) == 1
    assert await _count(app, models.Asset, models.Asset.project_id == project.id) == 1
    # A text that merely shows an escape is fine: only decoded NUL characters are refused.
    ok = {"title": "p", "jsonInterface": json.dumps({"note": "write \\u0000 for NUL"})}
    assert (await api.data(CREATE_PROJECT, {"data": ok}, key=key))["createProject"]["id"]


async def test_json_nested_too_deeply_is_refused(app, api, seeder) -> None:
    """Nesting that would exhaust the encoder's recursion on the way to PostgreSQL (900 levels
    answered INTERNAL, 100,000 raised RecursionError in the decoder) stops at 100 levels."""
    org, user, key, project = await _team(seeder)
    for depth, ok in [(99, True), (101, False), (900, False), (100_000, False)]:
        metadata = "[" * depth + "]" * depth
        data = {
            "contentArray": ["https://example.com/a.jpg"],
            "externalIDArray": [f"deep-{depth}"],
            "jsonMetadataArray": [json.dumps({"k": "placeholder"}).replace('"placeholder"', metadata)],
        }
        body = await api.raw(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
        if ok:
            assert not body.get("errors"), body["errors"]
        else:
            _bad(body["errors"][0], "jsonMetadata", "100 levels")
    nested: object = 1
    for _ in range(150):
        nested = [nested]
    _bad(await api.error(COUNT_ASSETS, {"where": {"metadata": {"k": nested}}}, key=key), "100 levels")


async def test_filters_nested_too_deeply_or_too_wide_are_refused(api, seeder) -> None:
    """`{label: {asset: {label: ...}}}` 80 levels deep exhausted the SQL compiler's recursion, and a
    metadata filter of 40,000 keys (or 8 lists of 5,000 values) passed PostgreSQL's bind parameters."""
    org, user, key, project = await _team(seeder)
    assets = await seeder.assets(project, 2)
    where: dict = {"project": {"id": project.id}}
    for _ in range(10):
        where = {"label": {"asset": where}}
    assert (await api.data(COUNT_ASSETS, {"where": where}, key=key))["countAssets"] == 0
    for _ in range(10):
        where = {"label": {"asset": where}}
    _bad(await api.error(COUNT_ASSETS, {"where": where}, key=key), "where", "32 levels")
    metadata = {f"k{i}": i for i in range(101)}
    _bad(await api.error(COUNT_ASSETS, {"where": {"metadata": metadata}}, key=key), "metadata", "100")
    lists = {f"k{i}": list(range(5_000)) for i in range(8)}
    assert (await api.data(COUNT_ASSETS, {"where": {"metadata": lists}}, key=key))["countAssets"] == 0
    assert len(assets) == 2


async def test_long_metadata_any_of_lists_match_like_short_ones(api, seeder) -> None:
    """Short any-of lists are containments (the GIN index serves them); long ones one jsonb[] array."""
    org, user, key, project = await _team(seeder)
    rows = [
        await seeder.asset(project, json_metadata=m)
        for m in ({"v": 12}, {"v": 30.5}, {"v": "12"}, {"v": None}, {"v": {"a": [1]}}, {"v": True}, {})
    ]
    values = [12.0, "12", None, {"a": [1]}]
    padding = [f"nothing-{i}" for i in range(40)]
    for listed in (values, values + padding):
        where = {"project": {"id": project.id}, "metadata": {"v": listed}}
        found = [r["id"] for r in (await api.data(ASSETS, {"where": where}, key=key))["assets"]]
        assert found == [rows[0].id, rows[2].id, rows[3].id, rows[4].id], len(listed)


async def test_ids_and_external_ids_too_long_for_an_index_are_refused(api, seeder) -> None:
    """A btree index row holds about 2,700 bytes: a 20,000-character random external id failed at
    INSERT time (INTERNAL). At most 2,000 bytes; S3 keys (1,024) fit."""
    org, user, key, project = await _team(seeder)
    asset = await seeder.asset(project)
    long = "é" * 1001  # 2,002 bytes
    for arrays in ({"externalIDArray": [long]}, {"idArray": [long], "externalIDArray": ["fine"]}):
        data = {"contentArray": ["https://example.com/a.jpg"], **arrays}
        _bad(await api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key), "2002 bytes", "2000")
    pairs = {"where": [{"id": asset.id}], "data": [{"externalId": long}]}
    _bad(await api.error(UPDATE, pairs, key=key), "Pair 0: externalId", "2000")
    fits = "k" * 1024
    data = {"contentArray": ["https://example.com/a.jpg"], "externalIDArray": [fits]}
    assert (await api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["appendManyAssets"]


async def test_non_finite_numbers_in_a_json_filter_are_refused(api, client, seeder) -> None:
    _, _, key, project = await _team(seeder)
    # JSON has no NaN, but Python-made bodies carry it (json.dumps allows it by default).
    for metadata in ({"k": float("nan")}, {"k": [0, float("inf")]}):
        body = json.dumps({"query": COUNT_ASSETS, "variables": {"where": {"metadata": metadata}}})
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        response = await client.post("/graphql", content=body, headers=headers)
        _bad(response.json()["errors"][0], "finite")


# --- list lengths -------------------------------------------------------------------------------


async def test_lists_longer_than_the_maximum_are_refused(api, seeder) -> None:
    _, _, key, project = await _team(seeder)
    assets = await seeder.assets(project, 2)
    ids = [f"missing-{i}" for i in range(9_999)] + [assets[0].id]
    assert [a["id"] for a in (await api.data(ASSETS, {"where": {"idIn": ids}}, key=key))["assets"]] == [assets[0].id]
    for where in ({"idIn": [*ids, "one-more"]}, {"idIn": ["x"] * 100_000}, {"label": {"idIn": ["x"] * 10_001}}):
        _bad(await api.error(ASSETS, {"where": where}, key=key), "10000", "LABELGATE_MAX_LIST_LENGTH")
    _bad(await api.error(ASSETS, {"where": {"metadata": {"k": list(range(10_001))}}}, key=key), "where.metadata.k")


async def test_every_list_filter_binds_one_array_whatever_its_length(settings, seeder) -> None:
    """With the maximum raised past PostgreSQL's 32,767 bind parameters, 40,000 ids still work:
    each list is one array parameter, not one parameter per item."""
    roomy = create_app(settings.model_copy(update={"max_list_length": 100_000}))
    transport = httpx.ASGITransport(app=roomy)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.test") as client:
            org, user, key, project = await _team(seeder)
            assets = await seeder.assets(project, 3)
            await seeder.assign(assets[1], user)
            many = [f"x{i}" for i in range(40_000)]
            absent = [f"#absent-{i}#" for i in range(100)]
            wheres = {
                "idIn": ({"idIn": [*many, assets[0].id]}, [assets[0].id]),
                "idNotIn": ({"project": {"id": project.id}, "idNotIn": [*many, assets[0].id]}, assets[1:]),
                "externalIdStrictlyIn": ({"externalIdStrictlyIn": [*many, assets[2].external_id]}, [assets[2].id]),
                "externalIdIn": (
                    # substrings: at most 100 (MAX_SUBSTRINGS), each matched against every row
                    # (none can occur in a seeded external id: "x1" could, in its random suffix)
                    {"project": {"id": project.id}, "externalIdIn": [*absent[:99], assets[2].external_id]},
                    [assets[2].id],
                ),
                "assigneeIn": ({"assigneeIn": [*many, user.email]}, [assets[1].id]),
                "setIdIn": ({"project": {"id": project.id}, "setIdIn": many}, []),
                "statusIn": ({"project": {"id": project.id}, "statusIn": ["TODO"] * 40_000}, assets),
                "project.idIn": ({"project": {"idIn": [*many, project.id]}}, assets),
                "label.authorIn": ({"label": {"authorIn": many}}, []),
            }
            too_many = {"externalIdIn": [*many[:100], "one-more"]}
            response = await client.post(
                "/graphql", json={"query": ASSETS, "variables": {"where": too_many}}, headers={"X-API-Key": key}
            )
            _bad(response.json()["errors"][0], "externalIdIn", "101 substrings", "externalIdStrictlyIn")
            for name, (where, expected) in wheres.items():
                response = await client.post(
                    "/graphql", json={"query": ASSETS, "variables": {"where": where}}, headers={"X-API-Key": key}
                )
                body = response.json()
                assert not body.get("errors"), (name, body["errors"])
                expected_ids = [a if isinstance(a, str) else a.id for a in expected]
                assert [a["id"] for a in body["data"]["assets"]] == expected_ids, name
    finally:
        await roomy.state.services.engine.dispose()


async def test_assignee_writes_bind_arrays_whatever_the_number_of_pairs(app, api, seeder, sql_counter) -> None:
    """1,700 assets × 10 assignees = 17,000 (asset, user) rows: two parameters each would pass
    PostgreSQL's limit of 32,767."""
    org, admin, key, project = await _team(seeder)
    labelers = [(await seeder.user(org))[0] for _ in range(10)]
    await seeder.add(*[models.ProjectMember(project_id=project.id, user_id=u.id, role="LABELER") for u in labelers])
    await seeder.assets(project, 1_700)
    data = {"toBeLabeledBy": [u.id for u in labelers], "shouldResetToBeLabeledBy": True}
    with sql_counter:
        updated = await api.data(UPDATE, {"where": [{"project": {"id": project.id}}], "data": [data]}, key=key)
    assert len(updated["updatePropertiesInAssets"]) == 1_700
    assert max(len(s) for s in sql_counter.statements) < 5_000  # no statement spells out a parameter per row
    rows = await _count(
        app,
        models.AssetAssignee,
        models.AssetAssignee.asset_id.in_(select(models.Asset.id).where(models.Asset.project_id == project.id)),
    )
    assert rows == 17_000


async def test_property_updates_lock_assets_in_id_order(app, api, seeder, caplog) -> None:
    """Two updates naming the same assets in opposite orders, released at the same instant by a gate
    holding the rows: locking in input order deadlocks (one of them fails), in id order they serialize."""
    org, admin, key, project = await _team(seeder)
    assets = sorted(await seeder.assets(project, 6), key=lambda a: a.id)
    forward = [{"id": a.id} for a in assets]
    calls = [
        {"where": forward, "data": [{"priority": 1}] * 6},
        {"where": forward[::-1], "data": [{"priority": 2}] * 6},
        {"where": [{"idIn": [a.id for a in assets[::-1]]}], "data": [{"priority": 3}]},
    ]
    caplog.set_level(logging.ERROR)
    async with app.state.services.engine.connect() as gate:
        ids = [a.id for a in assets]
        await gate.execute(select(models.Asset.id).where(models.Asset.id.in_(ids)).with_for_update())
        tasks = [asyncio.create_task(api.raw(UPDATE, call, key=key)) for call in calls]
        for _ in range(400):
            await gate.execute(text("SELECT pg_stat_clear_snapshot()"))
            waiting = (
                await gate.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                )
            ).scalar_one()
            if waiting >= len(calls) or any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.025)
        await gate.rollback()
    bodies = await asyncio.gather(*tasks)
    for body in bodies:
        assert not body.get("errors"), body["errors"]
    assert "deadlock" not in caplog.text


# --- skip -----------------------------------------------------------------------------------------

NESTED_SKIP = {
    ("Set", "assets"): "query($id: ID!) {{ set(id: $id) {{ assets(first: 5, skip: {skip}) {{ id }} }} }}",
    ("Session", "assets"): "query($id: ID!) {{ session(id: $id) {{ assets(first: 5, skip: {skip}) {{ id }} }} }}",
    ("Session", "events"): "query($id: ID!) {{ session(id: $id) {{ events(first: 5, skip: {skip}) {{ id }} }} }}",
}


def _fields_with_skip() -> dict[tuple[str, str], object]:
    schema = build_schema()._schema
    found = {}
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for name, field in named.fields.items():
                if "skip" in field.args:
                    found[(named.name, name)] = field
    return found


async def test_negative_skip_is_refused_on_every_list(api, seeder) -> None:
    org, user, key, project = await _team(seeder)
    asset_set = await seeder.asset_set(project)
    session = await seeder.session(project)
    fields = _fields_with_skip()
    assert len(fields) >= 12
    for (type_name, name), field in fields.items():
        assert str(field.args["skip"].type) in ("Int!", "Int"), (type_name, name)  # what the Kili SDK declares
        if type_name != "Query":
            query = NESTED_SKIP[(type_name, name)]
            parent = asset_set.id if type_name == "Set" else session.id
            _bad(await api.error(query.format(skip=-1), {"id": parent}, key=key), "skip", "-1")
            assert await api.data(query.format(skip=0), {"id": parent}, key=key)
            # The largest Int, plus `first`, still pages (to nothing) without overflowing.
            assert await api.data(query.format(skip=2**31 - 1), {"id": parent}, key=key)
            continue
        required = [
            a for a, arg in field.args.items() if isinstance(arg.type, GraphQLNonNull) and a not in ("first", "skip")
        ]
        assert required == ["where"], (name, required)
        where_type = get_named_type(field.args["where"].type).name
        arguments = "where: $where, first: 5, skip: $skip"
        query = f"query($where: {where_type}!, $skip: Int!) {{ {name}({arguments}) {{ __typename }} }}"
        _bad(await api.error(query, {"where": {}, "skip": -1}, key=key), "skip", "-1")
        literal = f"query($where: {where_type}!) {{ {name}(where: $where, first: 5, skip: -2) {{ __typename }} }}"
        _bad(await api.error(literal, {"where": {}}, key=key), "skip", "-2")
        assert await api.data(query, {"where": {}, "skip": 0}, key=key)
        assert (await api.data(query, {"where": {}, "skip": 2**31 - 1}, key=key))[name] == []


# --- numbers --------------------------------------------------------------------------------------


async def test_label_search_takes_numbers_beyond_postgresql_integers(api, seeder) -> None:
    org, user, key, project = await _team(seeder)
    asset = await seeder.asset(project)
    label = await seeder.label(asset, user, json_response={"JOB": {"categories": [{"name": "CAR"}]}})
    for search, expected in [
        ("JOB.CAR.count > 3000000000", []),
        ("JOB.CAR.count < 3000000000", [label.id]),
        ("JOB.CAR.count <= 99999999999999999999999999999", [label.id]),
        ("JOB.CAR.count = 99999999999999999999999999999", []),
        ("JOB.CAR.count >= 0.5", [label.id]),
    ]:
        where = {"project": {"id": project.id}, "search": search}
        assert [r["id"] for r in (await api.data(LABELS, {"where": where}, key=key))["labels"]] == expected, search


async def test_metadata_ranges_take_bounds_beyond_64_bits(api, seeder) -> None:
    org, user, key, project = await _team(seeder)
    small = await seeder.asset(project, json_metadata={"speed": 5})
    huge = await seeder.asset(project, json_metadata={"speed": 2**64})
    for bounds, expected in [
        ([0, 2**63], [small]),
        ([-(2**70), 2**70], [small, huge]),
        ([2**63, 2**65], [huge]),
        ([0.5, 1e300], [small, huge]),
    ]:
        where = {"project": {"id": project.id}, "metadata": {"speed": bounds}}
        assert [r["id"] for r in (await api.data(ASSETS, {"where": where}, key=key))["assets"]] == [
            a.id for a in expected
        ], bounds


async def test_extreme_dates_answer_without_internal_errors(api, seeder) -> None:
    org, user, key, project = await _team(seeder)
    asset = await seeder.asset(project)
    await seeder.label(asset, user)
    for field, value, expected in [
        ("createdAtLte", "9999-12-31", [asset.id]),
        ("updatedAtLte", "9999-12-31", [asset.id]),
        ("createdAtGte", "0001-01-01", [asset.id]),
        ("createdAtGte", "0001-01-01T00:00:00+14:00", [asset.id]),
        ("createdAtLte", "9999-12-31T23:59:59-14:00", [asset.id]),
        ("createdAtGte", "9999-12-31", []),
    ]:
        where = {"project": {"id": project.id}, field: value}
        assert [r["id"] for r in (await api.data(ASSETS, {"where": where}, key=key))["assets"]] == expected, value
    where = {"project": {"id": project.id}, "createdAt": "9999-12-31"}
    assert (await api.data(LABELS, {"where": where}, key=key))["labels"] == []
    for value in ("0000-01-01", "99999-01-01", "2026-13-45", "-infinity", ""):
        _bad(await api.error(ASSETS, {"where": {"createdAtLte": value}}, key=key), "createdAtLte")


# --- substring filters ----------------------------------------------------------------------------


async def test_percent_and_underscore_match_themselves_in_substring_filters(api, seeder) -> None:
    org, user, key, project = await _team(seeder)
    literal = await seeder.project(org, members={user.id: "ADMIN"}, title="growth 50% a_b")
    await seeder.project(org, members={user.id: "ADMIN"}, title="growth 500 axb", description="50 percent")
    for query, expected in [("50%", [literal.id]), ("a_b", [literal.id]), ("%", [literal.id]), ("_", [literal.id])]:
        where = {"searchQuery": query, "organizationId": org.id}
        assert [p["id"] for p in (await api.data(PROJECTS, {"where": where}, key=key))["projects"]] == expected, query

    a = await seeder.asset(project, external_id="img_100%.jpg")
    b = await seeder.asset(project, external_id="imgX1000.jpg")
    for fragments, expected in [(["_100%"], [a]), (["G_10"], [a]), (["%"], [a]), (["gx1", "\\"], [b]), ([], [])]:
        where = {"project": {"id": project.id}, "externalIdIn": fragments}
        found = [r["id"] for r in (await api.data(ASSETS, {"where": where}, key=key))["assets"]]
        assert found == [x.id for x in expected], fragments

    s = await seeder.asset_set(project, name="set_50%")
    await seeder.asset_set(project, name="setX500")
    assert [r["id"] for r in (await api.data(SETS, {"where": {"nameContains": "t_5"}}, key=key))["sets"]] == [s.id]
    r = await seeder.session(project, name="drive_50%")
    await seeder.session(project, name="driveX500")
    found = (await api.data(SESSIONS, {"where": {"nameContains": "e_50%"}}, key=key))["sessions"]
    assert [x["id"] for x in found] == [r.id]


async def _count(app, model, condition) -> int:
    async with app.state.services.session_factory() as db:
        return (await db.execute(select(func.count()).select_from(model).where(condition))).scalar_one()


@pytest.fixture(autouse=True)
def _no_internal_errors(caplog):
    """No request of these tests may log an unexpected error (that is what INTERNAL answers come from)."""
    caplog.set_level(logging.ERROR, logger="labelgate.errors")
    yield
    assert "unexpected error" not in caplog.text


async def test_the_kili_sdk_hears_bad_input_as_graphql_errors(kili_connect, seeder) -> None:
    """The SDK's documents (`$skip: Int!`) stay valid; an over-long `asset_id_in` and a NUL in a
    metadata filter come back as its GraphQL error naming the problem, and a project whose name holds
    `%` is found literally by the SDK's title search."""
    org, user, key, project = await _team(seeder)
    assets = await seeder.assets(project, 3)
    kili = kili_connect(key)
    assert [a["id"] for a in kili.assets(project_id=project.id, skip=1)] == [a.id for a in assets[1:]]
    with pytest.raises(KiliError) as refused:
        kili.assets(project_id=project.id, asset_id_in=[f"x{i}" for i in range(10_001)])
    assert "LABELGATE_MAX_LIST_LENGTH" in refused.value.message
    with pytest.raises(KiliError) as refused:
        kili.count_assets(project_id=project.id, metadata_where={"camera": "a\u0000"})
    assert "NUL" in refused.value.message
    literal = await seeder.project(org, members={user.id: "ADMIN"}, title="q3 100% done")
    await seeder.project(org, members={user.id: "ADMIN"}, title="q3 1000 done")
    assert [p["id"] for p in kili.projects(search_query="100%")] == [literal.id]
