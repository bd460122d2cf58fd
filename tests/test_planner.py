"""The planned path (resolvers/planner: one statement, JSON built by PostgreSQL) answers exactly as
the resolver path does, costs one statement whatever the page size, and leaves everything it does not
cover to the resolvers."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.app import create_app
from gateway.db import models
from resolvers.planner.catalog import TYPES, Embedded, Relation
from tests.conftest import Api

# Strings that carry JSON: the planned path passes jsonb through as PostgreSQL prints it, the
# resolvers encode it with Python's json; both carry the same JSON value.
JSON_STRING_FIELDS = {"jsonResponse", "jsonMetadata", "jsonInterface"}

ASSET_FIELDS = """id externalId projectId jsonContent jsonMetadata createdAt updatedAt isHoneypot
  isUsedForConsensus skipped skipReason status priority consensusMark honeypotMark inferenceMark currentStep { name }
  ocrMetadata mimeType sizeBytes sensor timestamp sessionId tags __typename url content urlExpiresAt
  resolution { width height }"""
LABEL_FIELDS = """id assetId projectId authorId jsonResponse jsonResponseUrl labelType secondsToLabel modelName
  consensusMark honeypotMark createdAt annotations { id } __typename isLatestLabelForUser"""
USER_FIELDS = "id email firstname lastname activated organizationId isOrganizationAdmin createdAt __typename"
PROJECT_FIELDS = """id title description inputType jsonInterface instructions tags archived starred createdAt
  updatedAt workflowVersion steps { id } dataConnections { id } consensusTotCoverage minConsensusSize
  reviewCoverage organizationId __typename"""

DOCUMENTS: list[tuple[str, dict]] = [
    # the benchmark's W1
    (
        """query($p: ID!) { assets(where: {project: {id: $p}}, first: 100, skip: 0) {
            id labels { id jsonResponse createdAt author { id email } } project { id title } } }""",
        {},
    ),
    (
        f"""query($p: ID!) {{ page: assets(where: {{project: {{id: $p}}}}, first: 7, skip: 2) {{ {ASSET_FIELDS}
            labels {{ {LABEL_FIELDS} author {{ {USER_FIELDS} }} asset {{ id }} }}
            latestLabel {{ id labelType author {{ email }} }}
            toBeLabeledBy {{ {USER_FIELDS} }}
            project {{ {PROJECT_FIELDS} }} }} }}""",
        {},
    ),
    (
        """query($p: ID!) { assets(where: {project: {id: $p}, metadata: {weather: "rain"}}, first: 50, skip: 0,
            orderBy: [{field: METADATA, metadataKey: "speed", direction: DESC}]) { id jsonMetadata }
            countAssets(where: {project: {id: $p}, metadata: {weather: "rain"}}) }""",
        {},
    ),
    (
        """query q($w: AssetWhere!, $n: PageSize!) { a: assets(where: $w, first: $n, skip: 1) { ...A }
            total: countAssets(where: $w) }
           fragment A on Asset { id status ... on Asset { priority latestLabel { id } } }""",
        {"n": 20},
    ),
    (
        f"""query($p: ID!) {{ labels(where: {{project: {{id: $p}}}}, first: 30, skip: 3) {{ {LABEL_FIELDS}
            author {{ id }} asset {{ id externalId project {{ title }} }} }}
            countLabels(where: {{project: {{id: $p}}}}) }}""",
        {},
    ),
    (
        f"""{{ projects(where: {{}}, first: 10, skip: 0) {{ {PROJECT_FIELDS} }}
            countProjects(where: {{}}) __typename }}""",
        {},
    ),
    ("""query($id: ID!) { asset(id: $id) { id status externalId labels { id } } }""", {}),
    # arguments left to their defaults (`where: {}`, the largest page, `skip: 0`)
    ("""{ assets { id status } labels { id assetId } countProjects countAssets countLabels }""", {}),
]


def _comparable(value: object) -> object:
    """The answer with JSON strings decoded, and signed URLs and their expiry reduced to what does not
    depend on the second they were signed in (each request signs at its own instant)."""
    if isinstance(value, dict):
        return {key: _comparable_field(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


@pytest.fixture
async def resolver_api(settings):
    """The same database served with the planner off: every document goes through the resolvers."""
    app = create_app(settings.model_copy(update={"query_planner": False}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://labelgate.test") as client:
        yield Api(client)
    await app.state.services.engine.dispose()


async def _rich_project(
    seeder, org: models.Organization | None = None
) -> tuple[models.Project, list[models.Asset], str]:
    """Assets with every kind of value (nulls, microseconds, unicode, nested JSON, tags), labels by
    several authors, assignees; returns the project, its assets and an admin key (of `org`, or of a
    new organization)."""
    org = org or await seeder.organization()
    admin, key = await seeder.user(org, admin=True)
    alice, _ = await seeder.user(org)
    bob, _ = await seeder.user(org)
    project = await seeder.project(org, json_interface={"jobs": {"CLASS": {"content": {"categories": {"É": {}}}}}})
    base = datetime(2026, 3, 1, 12, 0, 0, 999_999, tzinfo=UTC)
    assets = []
    for i in range(12):
        fields = {
            "external_id": f"frame-{i:02d}",
            "json_metadata": {"weather": "rain" if i % 3 else "sun", "speed": i * 1.5, "ünï": ["ç", {"n": i}]},
            "status": ["TODO", "LABELED", "REVIEWED"][i % 3],
            "priority": i % 4,
            "tags": ["b", "a"] if i % 2 else [],
            "size_bytes": 1000 + i if i % 2 else None,
            "consensus_mark": 0.5 if i % 5 == 0 else None,
            "sensor": "cam" if i % 4 else None,
            "timestamp": base + timedelta(seconds=i, microseconds=123) if i % 2 else None,
            "json_content": "some text" if i == 3 else None,
            "storage_key": f"projects/p/assets/{i}/content" if i % 3 == 0 else None,
            "content": "" if i % 3 == 0 else f"https://example.com/{i}.jpg",
            "width": 640.0 if i % 2 else None,
            "height": 480.5 if i % 4 == 1 else None,
        }
        assets.append(await seeder.asset(project, **fields))
    for n, asset in enumerate(assets[:9]):
        for j, author in enumerate((alice, bob, admin)[: 1 + n % 3]):
            await seeder.label(
                asset,
                author,
                json_response={"CLASS": {"categories": [{"name": "É", "confidence": 100}]}, "k": j},
                label_type=["DEFAULT", "REVIEW", "PREDICTION"][j],
                model_name="m1" if j == 2 else None,
                seconds_to_label=3.25 if j == 0 else None,
            )
    await seeder.assign(assets[0], alice, bob)
    await seeder.assign(assets[1], bob)
    return project, assets, key


def _planned_statements(statements: list[str]) -> int:
    """How many of the statements were the planner's (the rest: the API key lookup)."""
    return sum("json_build_object" in statement for statement in statements)


def _comparable_field(key: str, value: object) -> object:
    if key in JSON_STRING_FIELDS and isinstance(value, str):
        return json.loads(value)
    if key in ("url", "content") and isinstance(value, str) and "X-Amz-Signature=" in value:
        query = parse_qs(urlsplit(value).query)
        return ("signed", value.split("?")[0], query["X-Amz-Expires"])
    if key == "urlExpiresAt" and value is not None:
        return "expires"
    return _comparable(value)


def _signed_urls_and_expiries(value: object) -> list[tuple[str, str]]:
    if isinstance(value, list):
        return [pair for item in value for pair in _signed_urls_and_expiries(item)]
    if not isinstance(value, dict):
        return []
    found = [(value["url"], value["urlExpiresAt"])] if value.get("urlExpiresAt") else []
    return found + [pair for item in value.values() for pair in _signed_urls_and_expiries(item)]


async def test_planned_answers_equal_the_resolvers(api, resolver_api, seeder, sql_counter):
    project, assets, key = await _rich_project(seeder)
    for document, variables in DOCUMENTS:
        variables = {**variables}
        if "$p" in document:
            variables["p"] = project.id
        if "$w" in document:
            variables["w"] = {"project": {"id": project.id}, "statusIn": ["TODO", "LABELED"]}
        if "$id" in document:
            variables["id"] = assets[4].id
        with sql_counter:
            planned = await api.raw(document, variables, key=key)
        assert _planned_statements(sql_counter.statements) == 1 and sql_counter.count <= 2, document
        # sent around SQLAlchemy (gateway.planned_reads), the key looked up as before
        assert _planned_statements(sql_counter.driver_statements) == 1, document
        sql_counter.statements.clear()
        sql_counter.driver_statements.clear()
        resolved = await resolver_api.raw(document, variables, key=key)
        assert "errors" not in planned, (document, planned)
        assert _comparable(planned) == _comparable(resolved), document
        assert planned["data"], document
        for url, expires_at in _signed_urls_and_expiries(planned["data"]):
            query = parse_qs(urlsplit(url).query)
            signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expected = signed_at + timedelta(seconds=int(query["X-Amz-Expires"][0]))
            assert expires_at == expected.strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def test_requests_of_one_shape_share_a_statement_and_keep_their_own_values(api, resolver_api, seeder):
    """The second project's requests run the statements prepared for the first's (same documents,
    other ids): their answers are still the resolvers'. Viewers of one organization share the
    statements too, each seeing only their own projects."""
    org = await seeder.organization()
    first_project, first_assets, key = await _rich_project(seeder, org)
    second_project, second_assets, _ = await _rich_project(seeder, org)
    for project, assets in ((first_project, first_assets), (second_project, second_assets)):
        for document, _variables in DOCUMENTS:
            variables = {"p": project.id, "id": assets[5].id, "n": 3, "w": {"project": {"id": project.id}}}
            variables = {name: value for name, value in variables.items() if f"${name}" in document}
            planned = await api.raw(document, variables, key=key)
            resolved = await resolver_api.raw(document, variables, key=key)
            assert "errors" not in planned and _comparable(planned) == _comparable(resolved), document
    first_member, first_key = await seeder.user(org)
    second_member, second_key = await seeder.user(org)
    await seeder.add(
        models.ProjectMember(project_id=first_project.id, user_id=first_member.id, role="LABELER"),
        models.ProjectMember(project_id=second_project.id, user_id=second_member.id, role="LABELER"),
    )
    document = """query($p: ID!) { assets(where: {project: {id: $p}}, first: 100, skip: 0) { projectId }
        n: countAssets(where: {}) }"""
    for member_key, own, other in (
        (first_key, first_project, second_project),
        (second_key, second_project, first_project),
    ):
        own_page = await api.data(document, {"p": own.id}, key=member_key)
        assert {a["projectId"] for a in own_page["assets"]} == {own.id} and own_page["n"] == 12
        assert await api.data(document, {"p": other.id}, key=member_key) == {"assets": [], "n": 12}


async def test_a_planned_page_costs_one_statement_whatever_its_size(api, seeder, sql_counter):
    project, _assets, key = await _rich_project(seeder)
    document = DOCUMENTS[1][0]
    counts = []
    for first in (1, 10):
        await api.data(document.replace("first: 7", f"first: {first}"), {"p": project.id}, key=key)  # plan cached
        with sql_counter:
            await api.data(document.replace("first: 7", f"first: {first}"), {"p": project.id}, key=key)
        counts.append(sql_counter.count)
        sql_counter.statements.clear()
    # the API key, then the whole answer
    assert counts == [2, 2]


async def test_what_the_planner_does_not_cover_goes_to_the_resolvers(api, seeder, sql_counter):
    project, assets, key = await _rich_project(seeder)
    # sets are not in the catalog: the resolvers answer, with their usual statements
    with sql_counter:
        data = await api.data(
            "query($id: ID!) { asset(id: $id) { id sets { id } labels { id } } }", {"id": assets[0].id}, key=key
        )
    assert data["asset"]["sets"] == [] and _planned_statements(sql_counter.statements) == 0
    # so are arguments on nested fields
    with sql_counter:
        data = await api.data(
            "query($id: ID!) { asset(id: $id) { url(expiresIn: 60) } }", {"id": assets[0].id}, key=key
        )
    assert "X-Amz-Expires=60" in data["asset"]["url"] and _planned_statements(sql_counter.statements) == 0
    # an unknown id: the planner finds nothing and the resolvers answer NOT_FOUND
    error = await api.error('query { asset(id: "nope") { id } }', key=key)
    assert error["extensions"]["code"] == "NOT_FOUND"
    # bad input found while building the statement: the resolvers' error
    error = await api.error(
        "query($p: ID!) { assets(where: {project: {id: $p}}, first: 1, skip: 0, orderBy: ["
        + ", ".join(["{field: PRIORITY}"] * 6)
        + "]) { id } }",
        {"p": project.id},
        key=key,
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # variables that do not coerce, a negative skip, an anonymous request: as before
    error = await api.error(
        "query($n: PageSize!) { assets(where: {}, first: $n, skip: 0) { id } }", {"n": 500}, key=key
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error("{ assets(where: {}, first: 1, skip: -1) { id } }", key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error("{ assets(where: {}, first: 1, skip: 0) { id } }", key=None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_planner_sees_only_what_the_viewer_may_see(api, seeder):
    project, _assets, _key = await _rich_project(seeder)
    org = await seeder.organization()
    _outsider, key = await seeder.user(org)
    document = (
        "query($p: ID!) { assets(where: {project: {id: $p}}, first: 100, skip: 0) { id } countAssets(where: {}) }"
    )
    assert await api.data(document, {"p": project.id}, key=key) == {"assets": [], "countAssets": 0}


ORDERS = [
    "",
    ", orderBy: [{field: PRIORITY, direction: DESC}]",
    ', orderBy: [{field: METADATA, metadataKey: "speed"}]',
    ", orderBy: [{field: EXTERNAL_ID, direction: DESC}, {field: UPDATED_AT}]",
]
ASSET_FILTERS = [
    "",
    'metadata: {weather: "rain"}',
    "statusIn: [TODO, REVIEWED]",
    "metadata: {speed: [3, 12]}, skipped: false",
    'tagsIn: ["a"]',
    "label: {typeIn: [REVIEW]}",
]


def _random_selection(rng: random.Random, type_name: str, depth: int) -> str:
    """A random selection of the planner's catalog for `type_name`, some fields aliased."""
    catalog = TYPES[type_name]
    names = rng.sample(sorted(catalog), k=rng.randint(1, min(8, len(catalog))))
    parts = []
    for i, name in enumerate(names):
        spec = catalog[name]
        alias = f"a{i}: " if rng.random() < 0.2 and name not in JSON_STRING_FIELDS else ""
        if isinstance(spec, Relation | Embedded):
            if depth == 0:
                continue
            parts.append(f"{alias}{name} {{ t: __typename {_random_selection(rng, spec.type_name, depth - 1)} }}")
        elif name in ("currentStep",):
            parts.append(f"{alias}{name} {{ name }}")
        elif name in ("steps", "dataConnections", "annotations"):
            parts.append(f"{alias}{name} {{ id }}")
        else:
            parts.append(f"{alias}{name}")
    return " ".join(parts) or "__typename"


@pytest.mark.parametrize("seed", range(3))
async def test_random_documents_answer_alike_on_both_paths(api, resolver_api, seeder, sql_counter, seed):
    """Random selections over everything the catalog holds, with filters, orders and pages: the two
    paths agree on every one."""
    project, _assets, key = await _rich_project(seeder)
    rng = random.Random(seed)
    for _ in range(12):
        root = rng.choice(["assets", "labels", "projects"])
        first, skip = rng.randint(0, 12), rng.randint(0, 4)
        if root == "assets":
            where = f"{{project: {{id: $p}}, {rng.choice(ASSET_FILTERS)}}}"
            arguments = f"where: {where}, first: {first}, skip: {skip}{rng.choice(ORDERS)}"
            count = f"n: countAssets(where: {where})"
        elif root == "labels":
            arguments = f"where: {{project: {{id: $p}}}}, first: {first}, skip: {skip}"
            count = "n: countLabels(where: {project: {id: $p}})"
        else:
            arguments = f"where: {{id: $p}}, first: {first}, skip: {skip}"
            count = "n: countProjects(where: {id: $p})"
        type_name = {"assets": "Asset", "labels": "Label", "projects": "Project"}[root]
        document = f"query($p: ID!) {{ {root}({arguments}) {{ {_random_selection(rng, type_name, 2)} }} {count} }}"
        sql_counter.statements.clear()
        sql_counter.driver_statements.clear()
        with sql_counter:
            planned = await api.raw(document, {"p": project.id}, key=key)
        assert _planned_statements(sql_counter.driver_statements) == 1, document
        resolved = await resolver_api.raw(document, {"p": project.id}, key=key)
        assert "errors" not in planned, (document, planned)
        assert _comparable(planned) == _comparable(resolved), document


async def test_more_root_fields_than_one_json_object_holds_go_to_the_resolvers(settings, seeder):
    """json_build_object takes at most 50 keys: 60 aliased counts (allowed once the alias limit is
    raised) are answered by the resolvers, not refused by PostgreSQL."""
    app = create_app(settings.model_copy(update={"max_aliases": 100}))
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    await seeder.project(org)
    document = "{ " + " ".join(f"c{i}: countProjects(where: {{}})" for i in range(60)) + " }"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            data = await Api(client).data(document, key=key)
    finally:
        await app.state.services.engine.dispose()
    assert data == {f"c{i}": 1 for i in range(60)}


async def test_a_document_known_unplannable_has_its_limits_checked_once(api, seeder, monkeypatch):
    """Mutations and other documents the planner leaves alone cost one cost estimate a request (the
    resolver path's), not a second one for the planner."""
    import gateway.limits.extension as limits  # noqa: PLC0415  (patched where checked_document looks it up)

    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    estimates = []
    estimate_cost = limits.estimate_cost
    monkeypatch.setattr(limits, "estimate_cost", lambda *a, **k: estimates.append(1) or estimate_cost(*a, **k))
    document = "{ projects(where: {}, first: 1, skip: 0) { id numberOfAssets } }"
    await api.data(document, key=key)  # planned once: found unplannable
    estimates.clear()
    await api.data(document, key=key)
    assert len(estimates) == 1
