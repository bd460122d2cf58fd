"""The mutation lane (gateway/mutation_lane.py): a mutation of one root field asking for plain leaf
fields is answered without graphql-core's executor, and its answers, errors included, are those of
the usual way (an app with LABELGATE_MUTATION_LANE off); what it does not cover goes the usual way.

The rest of the suite runs with the lane on, so every Kili SDK write and every `{ id }`-shaped
mutation of the other tests goes through it; tests/test_timeouts.py's write cancelled midway by the
time budget is one of them (createProject { id })."""

from __future__ import annotations

import json
import random

import pytest

from tests.factories import unique
from tests.test_operations import _samples
from tests.test_timeouts import _connection, _headers, app_client

APPEND = """mutation appendManyAssets($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  data: appendManyAssets(data: $data, where: $where) { id } }"""
MUTATION_LANE = "mutation_lane"


def _data(prefix: str, count: int = 3, **changes: list) -> dict:
    """appendManyAssets' `data` as the Kili SDK sends it, for `count` new assets."""
    return {
        "contentArray": [f"https://cdn.example.com/{prefix}-{k}.jpg" for k in range(count)],
        "externalIDArray": [f"{prefix}-{k}" for k in range(count)],
        "isHoneypotArray": [False] * count,
        "jsonContentArray": [""] * count,
        "jsonMetadataArray": [json.dumps({"camera": f"cam{k}", "frame": k, "exact": 0.1 + k}) for k in range(count)],
        **changes,
    }


async def _answered_by(client, operation: str) -> dict[str, float]:
    """How many requests of `operation` each lane answered, per /metrics."""
    samples = await _samples(client)
    lanes = {}
    for (name, labels), value in samples.items():
        found = dict(labels)
        if name == "labelgate_graphql_requests_total" and found.get("operation") == operation:
            lanes[found["lane"]] = value
    return lanes


def _without_request_ids(body: dict) -> dict:
    for error in body.get("errors") or ():
        error.get("extensions", {}).pop("requestId", None)
    return body


async def _asset_count(settings, project_id: str) -> int:
    async with _connection(settings) as conn:
        return await conn.fetchval("SELECT count(*) FROM asset WHERE project_id = $1", project_id)


async def test_an_append_is_answered_by_the_lane_as_the_executor_answers_it(settings, seeder):
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    query = APPEND.replace("{ id }", "{ id ext: externalId jsonMetadata status __typename kind: __typename }")
    answers = []
    for lane in (True, False):
        project = await seeder.project(org, title=unique("lane"))
        async with app_client(settings, mutation_lane=lane) as (client, _):
            body = {"query": query, "variables": {"data": _data("frame"), "where": {"id": project.id}}}
            response = await client.post("/graphql", json=body, headers=_headers(key))
            assert response.status_code == 200
            answers.append(response.json())
            assert await _answered_by(client, "appendManyAssets") == {(MUTATION_LANE if lane else "resolvers"): 1.0}
        async with _connection(settings) as conn:
            stored = await conn.fetch(
                "SELECT external_id, json_metadata FROM asset WHERE project_id = $1 ORDER BY created_at", project.id
            )
            assert [(e, json.loads(m)) for e, m in stored] == [
                (f"frame-{k}", {"camera": f"cam{k}", "frame": k, "exact": 0.1 + k}) for k in range(3)
            ]
    lane_answer, usual_answer = (
        [{k: v for k, v in a.items() if k != "id"} for a in answer["data"]["data"]] for answer in answers
    )
    assert lane_answer == usual_answer
    assert lane_answer[1] == {
        "ext": "frame-1",
        "jsonMetadata": json.dumps({"camera": "cam1", "frame": 1, "exact": 1.1}),
        "status": "TODO",
        "__typename": "Asset",
        "kind": "Asset",
    }
    assert all(isinstance(a["id"], str) and a["id"] for a in answers[0]["data"]["data"])


ERRORS = {
    "malformed metadata": ({"jsonMetadataArray": ['{"a": 1}', "{nope", "{}"]}, {}),
    "metadata that is not an object": ({"jsonMetadataArray": ["{}", "[1]", "{}"]}, {}),
    "external ids repeated in the call": ({"externalIDArray": ["x", "y", "x"]}, {}),
    "an external id already in the project": ({"externalIDArray": ["a", "taken", "b"]}, {}),
    "arrays of different lengths": ({"isHoneypotArray": [False]}, {}),
    "a NUL character": ({"externalIDArray": ["a", "b\x00", "c"]}, {}),
    "more items than a list may hold": ({}, {"max_list_length": 2}),
    "an unknown project": ({}, {"where": {"id": "no-such-project"}}),
    "a labeler's key": ({}, {"labeler": True}),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
async def test_the_lanes_errors_are_the_executors_and_nothing_is_written(settings, seeder, case):
    changes, options = case
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    labeler, labeler_key = await seeder.user(org)
    project = await seeder.project(org, title=unique("errors"), members={labeler.id: "LABELER"})
    if options.get("labeler"):
        key = labeler_key
    await seeder.asset(project, external_id="taken")
    where = options.get("where", {"id": project.id})
    body = {"query": APPEND, "variables": {"data": _data("err", **changes), "where": where}}
    setting_changes = {k: v for k, v in options.items() if k == "max_list_length"}
    answers = []
    for lane in (True, False):
        async with app_client(settings, mutation_lane=lane, **setting_changes) as (client, _):
            response = await client.post("/graphql", json=body, headers=_headers(key))
            assert len(response.headers.get_list("content-length")) == 1
            answers.append((response.status_code, _without_request_ids(response.json())))
            assert await _answered_by(client, "appendManyAssets") == {(MUTATION_LANE if lane else "resolvers"): 1.0}
    assert answers[0] == answers[1]
    status, answer = answers[0]
    assert status == 200 and answer["data"] is None
    (error,) = answer["errors"]
    assert error["path"] == ["data"] and error["locations"] == [{"line": 2, "column": 3}]
    assert error["extensions"]["code"] in {"BAD_USER_INPUT", "CONFLICT", "NOT_FOUND", "FORBIDDEN"}
    assert await _asset_count(settings, project.id) == 1  # the asset "taken" alone


DECLINED = {
    "a fragment": APPEND.replace("{ id }", "{ ...Ids } }\nfragment Ids on Asset { id"),
    "an object under the root field": APPEND.replace("{ id }", "{ id currentStep { name } }"),
    "a directive": APPEND.replace("{ id }", "{ id @include(if: true) }"),
    "a variable's default": APPEND.replace("$where: ProjectWhere!", '$where: ProjectWhere! = {id: "x"}'),
    "two root fields": APPEND.replace("{ id } }", "{ id } kind: __typename }"),
}


@pytest.mark.parametrize("query", DECLINED.values(), ids=DECLINED.keys())
async def test_documents_the_lane_does_not_cover_go_the_usual_way(settings, seeder, query):
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org, title=unique("declined"))
    body = {"query": query, "variables": {"data": _data("d", 2), "where": {"id": project.id}}}
    async with app_client(settings) as (client, _):
        response = await client.post("/graphql", json=body, headers=_headers(key))
        answered = await _answered_by(client, "appendManyAssets")
    assert "errors" not in response.json(), response.json()
    assert len(response.json()["data"]["data"]) == 2
    assert answered == {"resolvers": 1.0}


COERCED = {
    "a single value for a list": ({"externalIDArray": "only"}, None),
    "an int for an ID": ({"idArray": [0]}, None),
    "an unknown input field": ({"nope": [1]}, "BAD_USER_INPUT"),
    "a number for a string": ({"externalIDArray": [1]}, "BAD_USER_INPUT"),
}


@pytest.mark.parametrize("case", COERCED.values(), ids=COERCED.keys())
async def test_variables_that_need_coercion_go_the_usual_way(settings, seeder, case):
    """Only variables whose JSON already holds the exact types are taken as they are; graphql-core
    coerces the others (a single value becomes a list, an int an ID) or explains why it cannot."""
    changes, code = case
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org, title=unique("coerced"))
    data = {**_data(unique("c"), 1), **changes}
    if "idArray" in changes:
        data["idArray"] = [random.randrange(10**8, 2**31)]  # ids are global: a fresh one
    body = {"query": APPEND, "variables": {"data": data, "where": {"id": project.id}}}
    async with app_client(settings) as (client, _):
        response = await client.post("/graphql", json=body, headers=_headers(key))
        answered = await _answered_by(client, "appendManyAssets")
    assert answered == {"resolvers": 1.0}
    answer = response.json()
    if code is not None:
        assert answer["errors"][0]["extensions"]["code"] == code
    else:
        assert "errors" not in answer and len(answer["data"]["data"]) == 1
        if "idArray" in changes:
            assert answer["data"]["data"][0]["id"] == str(data["idArray"][0])


async def test_leaf_and_enum_answers_of_other_mutations(settings, seeder):
    """A root field whose value is itself a leaf (`removeMetadataKey: Int!`), and enum fields."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org, title=unique("leaf"))
    await seeder.asset(project, external_id="m", json_metadata={"weather": "rain"})
    create = "mutation($t: String!) { created: createProject(data: {title: $t, inputType: TEXT}) { title inputType } }"
    remove = "mutation($p: ID!, $k: String!) { removed: removeMetadataKey(projectId: $p, key: $k) }"
    async with app_client(settings) as (client, _):
        title = unique("text")
        created = await client.post(
            "/graphql", json={"query": create, "variables": {"t": title}}, headers=_headers(key)
        )
        removed = await client.post(
            "/graphql", json={"query": remove, "variables": {"p": project.id, "k": "weather"}}, headers=_headers(key)
        )
        samples = await _samples(client)
    assert created.json() == {"data": {"created": {"title": title, "inputType": "TEXT"}}}
    assert removed.json() == {"data": {"removed": 1}}
    answered = {
        dict(labels).get("lane")
        for (name, labels), value in samples.items()
        if name == "labelgate_graphql_requests_total" and dict(labels).get("kind") == "mutation"
    }
    assert answered == {MUTATION_LANE}
