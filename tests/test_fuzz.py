"""A bounded fuzz run in CI: generated queries and mutations over the whole schema, each sent with an
organization admin's key (resolvers run against seeded data) and anonymously. Every answer must be JSON,
below HTTP 500, and every error must carry a code labelgate defines, never INTERNAL.
Thousands of operations: `python -m bench.fuzz --operations 5000` (same harness, tests/fuzz.py)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.fuzz import Answer, Tally, failures_of, fuzz

OPERATIONS = 300


async def test_generated_operations_get_coded_json_answers(client, seeder) -> None:
    tally = await fuzz(client, seeder, OPERATIONS, seed_value=7, batch=150)
    assert tally.answers == 2 * OPERATIONS
    assert not tally.failures, tally.report()
    # The run reaches resolvers: some operations succeed, some are refused by them (not only by validation).
    assert tally.codes["(no error)"] > 0 and tally.codes["UNAUTHENTICATED"] > 0, tally.report()


def test_the_checker_flags_what_it_must() -> None:
    """The property itself: each kind of bad answer is a failure, a coded error is not."""

    def answer(status: int | None, body: object, content_type: str = "application/json") -> Answer:
        return Answer("{ viewer { id } }", False, status, content_type, str(body), body)

    coded = {"errors": [{"message": "no", "extensions": {"code": "NOT_FOUND"}}], "data": None}
    assert failures_of(answer(200, coded)) == []
    assert failures_of(answer(200, {"data": {"viewer": {"id": "u"}}})) == []
    assert failures_of(answer(200, {"errors": [{"message": "x"}], "data": None})) == [
        "error without extensions.code: x"
    ]
    internal = {"errors": [{"message": "boom", "extensions": {"code": "INTERNAL"}}], "data": None}
    assert failures_of(answer(200, internal)) == ["INTERNAL: nothing logged"]
    assert failures_of(answer(200, {"errors": [{"message": "m", "extensions": {"code": "OOPS"}}]})) == [
        "unknown code OOPS: m"
    ]
    assert failures_of(answer(500, None, "text/plain")) == ["HTTP 500", "not JSON (text/plain): None"]
    assert failures_of(answer(400, {"detail": "x"})) == ["JSON without data or errors"]
    assert failures_of(Answer("{ x }", True, None, "", "RuntimeError: loop")) == ["the app raised: RuntimeError: loop"]
    tally = Tally()
    tally.add(answer(200, internal))
    assert tally.internal == 1 and list(tally.failures) == ["INTERNAL: nothing logged"]


# Findings of the fuzzer, each pinned by a test of its own.


async def test_dates_at_the_edges_of_the_calendar_are_answered_never_internal(api, seeder) -> None:
    """`...Lte: "9999-12-31"` (its next day has no datetime) and times that are year 0 in UTC were INTERNAL;
    they are answered now."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    asset = await seeder.asset(project)
    await seeder.label(asset, (await seeder.user(org))[0])
    answered = {
        '{ n: countAssets(where: {createdAtLte: "9999-12-31"}) }': 1,
        '{ n: countSets(where: {updatedAtLte: "9999-12-31"}) }': 0,
        '{ n: countLabels(where: {createdAt: "9999-12-31"}) }': 0,
        '{ n: countLabels(where: {createdAt: "9999-12-31T23:59:59.9999Z"}) }': 0,
        '{ n: countAssets(where: {createdAtGte: "0001-01-01"}) }': 1,
        # Times that fall before year 1 or after 9999 in UTC are clamped to the edges (values.py).
        '{ n: countAssets(where: {createdAtGte: "0001-01-01T00:00:00+02:00"}) }': 1,
        '{ n: countProjects(where: {updatedAtLte: "9999-12-31T23:59:59-05:00"}) }': 1,
        '{ n: countLabels(where: {createdAt: "0001-01-01T00:00:00+01:00"}) }': 0,
    }
    for document, count in answered.items():
        assert await api.data(document, key=key) == {"n": count}, document


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "key",
    [
        ["0001-01-01T00:00:00+02:00", "x"],  # year 0 in UTC: PostgreSQL refused it, INTERNAL
        ["2026-01-01T00:00:00+00:00", "a\u0000"],  # NUL in the id: INTERNAL
        ["2026-01-01T00:00:00", "x"],  # no time zone: encode_cursor never makes one
        ["2026-01-01T00:00:00+00:00", ["x"]],
    ],
)
async def test_crafted_cursors_are_bad_input(api, seeder, key) -> None:
    org = await seeder.organization()
    _, api_key = await seeder.user(org, admin=True)
    for connection in ["assetsConnection", "projectsConnection", "labelsConnection", "setsConnection"]:
        document = f'{{ {connection}(where: {{}}, first: 2, after: "{_cursor(key)}") {{ nodes {{ id }} }} }}'
        error = await api.error(document, key=api_key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "Malformed cursor" in error["message"]


@pytest.mark.parametrize("number", ["1e999", "NaN", "-Infinity"])
async def test_json_strings_with_numbers_jsonb_cannot_store_are_bad_input(api, seeder, number) -> None:
    """Python reads these (1e999 as infinity); PostgreSQL's jsonb refused them: INTERNAL, now BAD_USER_INPUT."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    asset = await seeder.asset(project)
    text = json.dumps(f'{{"x": {number}}}')
    documents = [
        f'mutation {{ createProject(data: {{title: "t", jsonInterface: {text}}}) {{ id }} }}',
        f'mutation {{ updateProject(id: "{project.id}", data: {{jsonInterface: {text}}}) {{ id }} }}',
        f'mutation {{ appendManyAssets(data: {{contentArray: ["https://example.com/x.jpg"], externalIDArray: ["x"], '
        f'jsonMetadataArray: [{text}]}}, where: {{id: "{project.id}"}}) {{ id }} }}',
        f'mutation {{ updatePropertiesInAssets(where: [{{id: "{asset.id}"}}], data: [{{jsonMetadata: {text}}}]) '
        "{ id } }",
        f'mutation {{ appendManyLabels(data: {{labelType: DEFAULT, labelsData: [{{assetID: "{asset.id}", '
        f'jsonResponse: {text}}}]}}, where: {{idIn: ["{asset.id}"]}}) {{ id }} }}',
    ]
    for document in documents:
        error = await api.error(document, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (document, error)
    assert await api.data("{ n: countAssets(where: {}) }", key=key) == {"n": 1}
