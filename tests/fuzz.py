"""Fuzzing harness: operations generated over the whole schema (hypothesis-graphql), sent to the gateway
with an organization admin's key and anonymously, every answer checked.

Shared by `tests/test_fuzz.py` (a few hundred operations, in CI) and `bench/fuzz.py` (thousands). Each batch
of operations runs against a world of its own: a dedicated organization seeded with projects, assets,
labels, sets, sessions, issues and members, whose ids the generator uses for `ID` values (and often for
`String` ones) so that resolvers get past NOT_FOUND and really read and write. Generation is
deterministic for a given seed (the seeded ids differ from run to run, the choices among them do not).

An answer passes when it is JSON, its HTTP status is below 500, and every error carries an
`extensions.code` that labelgate defines, other than INTERNAL.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes

from gateway.db import models
from gateway.errors import ErrorCode
from schema.build import build_schema
from tests.factories import Seeder, unique

ROLES = ("LABELER", "REVIEWER", "TEAM_MANAGER", "ADMIN")
INTERFACE = {
    "jobs": {
        "JOB": {
            "mlTask": "CLASSIFICATION",
            "required": 1,
            "isChild": False,
            "content": {"input": "checkbox", "categories": {"CAR": {"name": "Car"}, "BUS": {"name": "Bus"}}},
        }
    }
}
RESPONSE = {"JOB": {"categories": [{"name": "CAR"}]}}
# Values that mean something to some resolver, and edge cases: what attackers and careless clients send.
JSON_STRINGS = ["{}", "null", json.dumps(RESPONSE), json.dumps(INTERFACE), '{"camera": "front", "speed": 10}']
JSON_EDGES = ["[]", "{", '"text"', '{"speed": 1e999}', '{"a": "\\u0000"}', "[" * 2000]
SEARCHES = ["JOB.CAR.count > 1", "JOB.CAR.count >= 2 AND (JOB.BUS.count == 0 OR JOB.CAR.count > 1)"]
SEARCH_EDGES = ["JOB.CAR.count > 3000000000", "JOB.CAR.count > 99999999999999999999", "JOB.CAR.count >", "(" * 500]
DATES = ["2026-01-01", "2026-01-01T00:00:05.000Z", "2026-01-01T00:00:00+02:00"]
DATE_EDGES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+02:00", "9999-12-31T23:59:59.999999-05:00", "2026-13-45"]
CONTENTS = ["https://example.com/fuzz.jpg", "http://example.com/a.png", "raw text content"]
CONTENT_EDGES = ["", "projects/../x.jpg", "ftp://example.com/x", "projects/other/x.jpg", "s3://bucket/x"]
STRING_EDGES = ["", "nul\x00byte", "%", "_", "\\", "'; --", "\u202e", "x" * 5000]
CURSOR_KEYS = [
    ["2026-01-01T00:00:00+00:00", "x"],
    ["0001-01-01T00:00:00+02:00", "x"],
    ["2026-01-01T00:00:00", "x"],
    ["2026-01-01T00:00:00+00:00", "a\x00"],
    ["2026-01-01T00:00:00+00:00", ["x"]],
    {"a": 1},
]
CURSORS = [base64.urlsafe_b64encode(json.dumps(k).encode()).decode().rstrip("=") for k in CURSOR_KEYS]
MIN_INT, MAX_INT = -(2**31), 2**31 - 1


@dataclass
class FuzzWorld:
    """What one batch of operations runs against: the admin's key and the values worth generating."""

    admin_key: str
    ids: dict[str, list[str]]  # entity ("project", "asset", "user", ...) → its seeded ids
    emails: list[str]
    external_ids: list[str]

    @property
    def all_ids(self) -> list[str]:
        return [i for ids in self.ids.values() for i in ids]


async def seed_world(seeder: Seeder) -> FuzzWorld:
    """A dedicated organization: its admin (whose key the operations use), a member of each role, three
    projects (one archived), assets in every status with metadata, labels, two sets, a session with
    events and timed assets, issues and a notification."""
    org = await seeder.organization(unique("fuzz-org"))
    admin, admin_key = await seeder.user(org, admin=True)
    members = {role: (await seeder.user(org))[0] for role in ROLES}
    roles = {user.id: role for role, user in members.items()}
    projects = [
        await seeder.project(org, members=roles, json_interface=INTERFACE, tags=["fuzz", "cars"]),
        await seeder.project(org, members=roles, input_type="TEXT", description="texts"),
        await seeder.project(org, members=roles, json_interface=INTERFACE, archived=True),
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    session = await seeder.session(projects[0], start_time=start, end_time=start + timedelta(minutes=5))
    assets = []
    for status in ("TODO", "ONGOING", "LABELED", "TO_REVIEW", "REVIEWED"):
        assets += await seeder.assets(projects[0], 3, status=status, json_metadata={"camera": "front", "speed": 10})
    assets += await seeder.assets(
        projects[0], 3, session_id=session.id, timestamp=start + timedelta(seconds=1), sensor="cam0"
    )
    assets += await seeder.assets(projects[1], 3, content="raw text", status="LABELED")
    assets += await seeder.assets(projects[2], 2, status="LABELED")
    labels = [
        await seeder.label(asset, members["LABELER"], json_response=RESPONSE, label_type=label_type)
        for asset, label_type in zip(assets[6:12], ["DEFAULT", "REVIEW", "AUTOSAVE"] * 2, strict=True)
    ]
    sets = [
        await seeder.asset_set(projects[0], assets[:6], tags=["curated"]),
        await seeder.asset_set(projects[0], assets[3:9], is_locked=True),
    ]
    events = [
        await seeder.event(session),
        await seeder.event(session, event_type="SCALAR", name="speed", value=12.5),
    ]
    issues = [
        models.Issue(project_id=a.project_id, asset_id=a.id, label_id=label.id, author_id=members["REVIEWER"].id)
        for a, label in zip(assets[6:9], labels[:3], strict=True)
    ] + [
        models.Issue(project_id=assets[0].project_id, asset_id=assets[0].id, author_id=admin.id, issue_type="QUESTION")
    ]
    notification = models.Notification(user_id=admin.id, status="SUCCESS")
    await seeder.add(*issues, notification)
    users = [admin, *members.values()]
    entities: dict[str, list[Any]] = {
        "organization": [org],
        "user": users,
        "project": projects,
        "asset": assets,
        "label": labels,
        "set": sets,
        "session": [session],
        "event": events,
        "issue": issues,
        "notification": [notification],
    }
    return FuzzWorld(
        admin_key=admin_key,
        ids={entity: [row.id for row in rows] for entity, rows in entities.items()},
        emails=[user.email for user in users],
        external_ids=[asset.external_id for asset in assets],
    )


# Generation schema. hypothesis-graphql picks values by scalar type only, so a copy of the schema gives
# inputs that take something specific (a date, a JSON string, a project id) a scalar of their own, with a
# strategy that mostly draws meaningful values. Documents carry literals only, never these type names, so
# what is generated from the copy is valid against the real schema.
DATE_FIELD = re.compile(r"(createdAt|updatedAt|startTime|endTime|timestamp)(Gte|Lte)?")
ENTITY_WORDS = {
    "project": "project",
    "asset": "asset",
    "hasAsset": "asset",
    "label": "label",
    "referencedLabel": "label",
    "set": "set",
    "originSet": "set",
    "session": "session",
    "issue": "issue",
    "notification": "notification",
    "organization": "organization",
    "user": "user",
    "author": "user",
    "labeler": "user",
    "reviewer": "user",
    "assignee": "user",
    "email": "user",
    "userIds": "user",
    "toBeLabeledBy": "user",
}
ENTITY_SUFFIX = re.compile(r"(Ids|IDs|IdIn|IdNotIn|NotIn|In|Id|ID)$")
# Filters of Kili's V2/V3 workflows: labelgate refuses them whatever else the filter says, so half the
# operations are generated without them (or most asset filters would stop there).
STEP_FILTERS = {
    "stepIdIn",
    "stepIdNotIn",
    "stepStatusIn",
    "stepStatusNotIn",
    "stepIdAndStatusIn",
    "stepIdAndStatusNotIn",
    "groupNameIn",
    "groupNameNotIn",
}


def _entity(owner: str, name: str) -> str | None:
    """The entity whose ids an input named `name` (on input type or field `owner`) takes, if any."""
    if name in ENTITY_WORDS:
        return ENTITY_WORDS[name]
    if name in ("id", "idIn", "idNotIn"):
        owner_word = owner.removesuffix("Where")
        owner_word = owner_word[:1].lower() + owner_word[1:]
        if owner_word in ENTITY_WORDS:
            return ENTITY_WORDS[owner_word]
        return next((e for word, e in ENTITY_WORDS.items() if word.capitalize() in owner), None)
    return ENTITY_WORDS.get(ENTITY_SUFFIX.sub("", name))


def _value_kind(owner: str, name: str, scalar: str) -> str | None:
    """The generation scalar of an input of type `scalar` named `name`, or None to keep `scalar`."""
    if scalar not in ("String", "ID"):
        return None
    if name.startswith("json"):
        return "FuzzJson"
    if name == "search":
        return "FuzzSearch"
    if DATE_FIELD.fullmatch(name):
        return "FuzzDate"
    if name.lower().startswith("externalid"):
        return "FuzzExternalId"
    if name in ("content", "contentArray", "filePaths"):
        return "FuzzContent"
    if name == "after":
        return "FuzzCursor"
    entity = _entity(owner, name)
    return f"FuzzId_{entity}" if entity else None


def _retyped(type_node: graphql.TypeNode, name: str) -> graphql.TypeNode:
    """`type_node` (e.g. `[String!]`) with its named type replaced by `name` (AST nodes are frozen)."""
    if isinstance(type_node, graphql.NamedTypeNode):
        return replace(type_node, name=graphql.NameNode(value=name))
    return replace(type_node, type=_retyped(type_node.type, name))


def _named(type_node: graphql.TypeNode) -> str:
    while not isinstance(type_node, graphql.NamedTypeNode):
        type_node = type_node.type
    return type_node.name.value


@cache
def generation_schema(without: frozenset[str] = frozenset()) -> graphql.GraphQLSchema:
    """The real schema with inputs retyped as above, and the input fields named in `without` left out."""
    document = graphql.parse(graphql.print_schema(build_schema()._schema))
    kinds: set[str] = set()

    def retyped(owner: str, values: Iterable[graphql.InputValueDefinitionNode]) -> tuple:
        out = []
        for value in values:
            if value.name.value in without:
                continue
            kind = _value_kind(owner, value.name.value, _named(value.type))
            if kind:
                kinds.add(kind)
                value = replace(value, type=_retyped(value.type, kind))
            out.append(value)
        return tuple(out)

    definitions = []
    for definition in document.definitions:
        if isinstance(definition, graphql.InputObjectTypeDefinitionNode):
            definition = replace(definition, fields=retyped(definition.name.value, definition.fields))
        elif isinstance(definition, graphql.ObjectTypeDefinitionNode):
            fields = [replace(f, arguments=retyped(f.name.value, f.arguments or ())) for f in definition.fields]
            definition = replace(definition, fields=tuple(fields))
        definitions.append(definition)
    scalars = [graphql.ScalarTypeDefinitionNode(name=graphql.NameNode(value=kind)) for kind in sorted(kinds)]
    return graphql.build_ast_schema(graphql.DocumentNode(definitions=(*definitions, *scalars)))


def _json_node(value: Any) -> graphql.ValueNode:
    """The GraphQL literal of a JSON value (for the `JSON` scalar)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object(
        [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v)) for k, v in value.items()]
    )


def _mix(meaningful: st.SearchStrategy, edges: st.SearchStrategy, anything: st.SearchStrategy) -> st.SearchStrategy:
    """Meaningful values 3 times in 5, edge cases and anything at all once in 5 each."""
    return st.sampled_from([meaningful] * 3 + [edges, anything]).flatmap(lambda s: s)


def scalar_strategies(world: FuzzWorld, schema: graphql.GraphQLSchema) -> dict[str, st.SearchStrategy]:
    """A value strategy for every scalar of the generation schema (see `_mix`): meaningful values are
    seeded ids, dates, JSON strings, search expressions; edge cases are NUL, wildcards, overflowing
    numbers, the ends of the calendar, crafted cursors; anything is any text (every code point) or any
    32-bit integer. A custom scalar added later gets a generic mix (so the generator never refuses a
    required argument)."""
    text = st.text(max_size=40)
    key = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,12}", fullmatch=True)  # object keys are GraphQL names
    small_int = st.integers(-3, 110)
    any_int = st.integers(MIN_INT, MAX_INT)
    string_edges = st.sampled_from(STRING_EDGES)
    any_id = st.sampled_from(world.all_ids) | text | any_int.map(str)
    json_leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64) | st.sampled_from([2**63, -(2**63) - 1, 2**53 + 1]),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(["front", "back", "fuzz"]) | string_edges | text,
    )
    json_values = st.recursive(
        json_leaf,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["camera", "speed", "sensor"]) | key, inner, max_size=3)
        ),
        max_leaves=8,
    )
    projects = world.ids["project"]
    uploads = [f"projects/{p}/fuzz.jpg" for p in projects]
    values = {  # kind → (meaningful values, edge cases)
        "FuzzJson": (JSON_STRINGS, JSON_EDGES),
        "FuzzSearch": (SEARCHES, SEARCH_EDGES),
        "FuzzDate": (DATES, DATE_EDGES),
        "FuzzExternalId": (world.external_ids, ["%", "_", "ext%", "nul\x00byte"]),
        "FuzzContent": ([*CONTENTS, *uploads], CONTENT_EDGES),
        "FuzzCursor": (CURSORS[:1], CURSORS[1:]),
        "String": ([*world.all_ids, *world.emails, *world.external_ids, *JSON_STRINGS, *DATES], STRING_EDGES),
    }
    strategies = {
        kind: _mix(st.sampled_from(common), st.sampled_from(edges), text).map(nodes.String)
        for kind, (common, edges) in values.items()
    }
    for entity, ids in world.ids.items():
        known = [*ids, *(world.emails if entity == "user" else [])]
        strategies[f"FuzzId_{entity}"] = _mix(st.sampled_from(known), string_edges, any_id).map(nodes.String)
    strategies |= {
        "ID": _mix(st.sampled_from(world.all_ids), string_edges, any_id).map(nodes.String),
        "Int": _mix(small_int, st.sampled_from([-1, MIN_INT, MAX_INT]), any_int).map(nodes.Int),
        "PageSize": _mix(st.integers(0, 100), st.sampled_from([-1, 101, MAX_INT]), any_int).map(nodes.Int),
        "JSON": json_values.map(_json_node),
    }
    generic = st.one_of(small_int.map(nodes.Int), text.map(nodes.String), st.booleans().map(nodes.Boolean))
    for name, type_ in schema.type_map.items():
        if isinstance(type_, graphql.GraphQLScalarType) and name not in {*strategies, "Float", "Boolean"}:
            strategies[name] = generic
    return strategies


def operations(world: FuzzWorld) -> st.SearchStrategy[str]:
    """Queries and mutations over the whole schema, with values from `world`: half of them may use every
    input field, half leave the V2/V3 step filters out."""
    every_field = generation_schema()
    without_steps = generation_schema(frozenset(STEP_FILTERS))
    return st.one_of(
        from_schema(schema, custom_scalars=scalar_strategies(world, schema)) for schema in (every_field, without_steps)
    )


def generate(strategy: st.SearchStrategy[str], count: int, seed_value: int) -> list[str]:
    """`count` documents drawn from `strategy`, the same ones for the same seed."""
    documents: list[str] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(strategy)
    def collect(document: str) -> None:
        documents.append(document)

    collect()
    return documents


@dataclass
class Answer:
    """What the gateway answered to one document, and the errors it logged meanwhile."""

    document: str
    anonymous: bool
    status: int | None
    content_type: str
    text: str
    body: Any = None
    logged: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[str | None]:
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        return [(e.get("extensions") or {}).get("code") if isinstance(e, dict) else None for e in errors or []]


KNOWN_CODES = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL.value}


def _shape(message: str) -> str:
    """A message with its values blanked, so that answers differing only in ids or inputs group together."""
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    message = re.sub(r"\b[0-9a-zA-Z_-]{20,}\b", "<id>", message)
    return re.sub(r"\d+", "N", message)[:200]


def failures_of(answer: Answer) -> list[str]:
    """The failure classes of one answer (empty when it passes), each naming what went wrong and why."""
    if answer.status is None:
        return [f"the app raised: {_shape(answer.text)}"]
    found = []
    if answer.status >= 500:
        found.append(f"HTTP {answer.status}")
    if not isinstance(answer.body, dict) or not answer.content_type.startswith("application/json"):
        found.append(f"not JSON ({answer.content_type or 'no content type'}): {_shape(answer.text[:120])}")
        return found
    if "data" not in answer.body and "errors" not in answer.body:
        found.append("JSON without data or errors")
    cause = "; ".join(_shape(line) for line in answer.logged[:1]) or "nothing logged"
    for error, code in zip(answer.body.get("errors") or [], answer.codes, strict=True):
        message = _shape(str(error.get("message"))) if isinstance(error, dict) else repr(error)
        if code is None:
            found.append(f"error without extensions.code: {message}")
        elif code == ErrorCode.INTERNAL.value:
            found.append(f"INTERNAL: {cause}")
        elif code not in KNOWN_CODES:
            found.append(f"unknown code {code}: {message}")
    return list(dict.fromkeys(found))


class _LogCapture(logging.Handler):
    """Keeps the errors labelgate logs (with their exception) while one request runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}" if exc else ""
        self.lines.append(detail or record.getMessage())


async def send(client: httpx.AsyncClient, document: str, key: str | None, path: str = "/graphql") -> Answer:
    """Posts one document; an exception escaping the app (in-process transport) is an answer too."""
    headers = {"Authorization": f"X-API-Key: {key}"} if key else {}
    capture = _LogCapture()
    logger = logging.getLogger("labelgate")
    logger.addHandler(capture)
    try:
        response = await client.post(path, json={"query": document}, headers=headers)
    except Exception as exc:  # the in-process transport re-raises what the app let escape
        return Answer(document, key is None, None, "", f"{type(exc).__name__}: {exc}", logged=capture.lines)
    finally:
        logger.removeHandler(capture)
    content_type = response.headers.get("content-type", "")
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(document, key is None, response.status_code, content_type, response.text, body, capture.lines)


@dataclass
class Tally:
    """The outcome of a run: answers per error code, and every failure class with its first example."""

    answers: int = 0
    codes: Counter = field(default_factory=Counter)
    internal: int = 0
    non_json: int = 0
    server_errors: int = 0
    failures: dict[str, list[Answer]] = field(default_factory=dict)

    def add(self, answer: Answer) -> None:
        self.answers += 1
        self.codes.update(str(code) for code in answer.codes)
        if not answer.codes and isinstance(answer.body, dict):
            self.codes["(no error)"] += 1
        self.internal += answer.codes.count(ErrorCode.INTERNAL.value)
        self.non_json += not isinstance(answer.body, dict)
        self.server_errors += answer.status is None or answer.status >= 500
        for failure in failures_of(answer):
            self.failures.setdefault(failure, []).append(answer)

    def report(self, examples: int = 3, width: int = 600) -> str:
        lines = [
            f"{self.answers} answers; INTERNAL errors: {self.internal}; non-JSON answers: {self.non_json}; "
            f"HTTP 5xx or raised: {self.server_errors}",
            "errors per code: " + ", ".join(f"{code} {n}" for code, n in self.codes.most_common()),
            f"{len(self.failures)} failure classes:",
        ]
        for failure, answers in sorted(self.failures.items(), key=lambda item: -len(item[1])):
            lines.append(f"- {failure}  ({len(answers)} answers)")
            for answer in sorted(answers, key=lambda a: len(a.document))[:examples]:  # shortest first
                who = "anonymous" if answer.anonymous else "admin"
                lines.append(f"    [{who}, HTTP {answer.status}] {answer.document[:width]!r}")
                lines.append(f"      answer: {answer.text[:300]!r}")
        return "\n".join(lines)


def invalid_document(document: str) -> str | None:
    """Why `document` is not a well-formed operation of the schema, if it is not: a harness bug that would
    hide behind the gateway's parse and validation errors. (Checked against the generation schema, whose
    scalars take any literal: values out of range, such as a PageSize of 200, are generated on purpose.)"""
    try:
        errors = graphql.validate(generation_schema(), graphql.parse(document))
    except graphql.GraphQLError as exc:
        return exc.message
    return errors[0].message if errors else None


async def run_batch(client: httpx.AsyncClient, world: FuzzWorld, documents: Iterable[str], tally: Tally) -> None:
    """Sends each document with the admin's key, then without a key."""
    for document in documents:
        reason = invalid_document(document)
        if reason:
            failure = f"the generator made an invalid document: {_shape(reason)}"
            tally.failures.setdefault(failure, []).append(Answer(document, False, None, "", reason))
            continue
        tally.add(await send(client, document, world.admin_key))
        tally.add(await send(client, document, None))


async def fuzz(
    client: httpx.AsyncClient,
    seeder: Seeder,
    operations_count: int,
    seed_value: int = 0,
    batch: int = 250,
    progress: Callable[[int, Tally], None] | None = None,
) -> Tally:
    """`operations_count` generated documents, in batches of `batch`, each batch against a fresh world
    (mutations really write: deleted assets, archived projects do not starve later batches)."""
    tally = Tally()
    done = 0
    while done < operations_count:
        size = min(batch, operations_count - done)
        world = await seed_world(seeder)
        documents = generate(operations(world), size, seed_value + done)
        await run_batch(client, world, documents, tally)
        done += size
        if progress:
            progress(done, tally)
    return tally
