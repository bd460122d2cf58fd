"""`orderBy` on assets: every field in both directions, ties broken by id, missing values last, and
keyset cursors forward and backward that read exactly the offset list."""

from __future__ import annotations

import base64
import functools
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.db import models

LIST = """query($where: AssetWhere!, $first: PageSize!, $skip: Int!, $orderBy: [AssetOrderBy!]) {
  data: assets(where: $where, first: $first, skip: $skip, orderBy: $orderBy) { id } }"""
CONNECTION = """query($where: AssetWhere!, $first: PageSize, $after: String, $last: PageSize, $before: String,
                      $orderBy: [AssetOrderBy!]) {
  data: assetsConnection(where: $where, first: $first, after: $after, last: $last, before: $before,
                         orderBy: $orderBy) {
    nodes { id } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }"""
COUNT = "query($where: AssetWhere!) { data: countAssets(where: $where) }"

BASE = datetime(2026, 3, 1, tzinfo=UTC)
# jsonb's order across types: null < string < number < boolean < array < object.
JSON_RANK = {type(None): 0, str: 1, int: 2, float: 2, bool: 3, list: 4, dict: 5}
MISSING = object()


def _speed(i: int) -> Any:
    """A mix of every kind of metadata value, ties included."""
    return [3, 1.5, "fast", MISSING, None, 3, True, "slow", -2, MISSING, 10, 3.0, "fast", 1.5][i % 14]


async def _project(seeder, size: int = 14) -> tuple[str, str, list[models.Asset]]:
    rng = random.Random(9)
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    rows = []
    for i in range(size):
        created = seeder.tick()
        speed = _speed(i)
        metadata: dict[str, Any] = {"cam": {"pos": rng.choice([1, 2, 3])}} if i % 4 else {}
        if speed is not MISSING:
            metadata["speed"] = speed
        rows.append(
            models.Asset(
                project_id=project.id,
                external_id=f"e{rng.randrange(1000):03d}{i:02d}",
                content="https://example.com/x.jpg",
                priority=rng.choice([0, 1, 1, 5]),
                timestamp=None if i % 3 == 0 else BASE + timedelta(seconds=rng.choice([1, 2, 3, 4])),
                json_metadata=metadata,
                created_at=created,
                updated_at=created + timedelta(seconds=rng.randrange(100)),
            )
        )
    await seeder.add(*rows)
    return project.id, key, rows


def _value(asset: models.Asset, field: str, metadata_key: str | None) -> Any:
    """The sort value, MISSING when the asset has none."""
    if field == "METADATA":
        value: Any = asset.json_metadata
        for segment in metadata_key.split("."):
            if not isinstance(value, dict) or segment not in value:
                return MISSING
            value = value[segment]
        return value
    column = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at", "TIMESTAMP": "timestamp"}
    value = getattr(asset, column.get(field, field.lower()))
    return MISSING if value is None else value


def _comparable(value: Any) -> tuple:
    if isinstance(value, bool | type(None) | str | int | float | list | dict) and not isinstance(value, datetime):
        return (JSON_RANK[type(value)], value if value is not None else 0)
    return (0, value)


def expected_order(assets: list[models.Asset], order_by: list[dict]) -> list[str]:
    """What the API must answer, computed independently: keys in turn, missing values last in both
    directions, then the id in the last key's direction."""

    def compare(a: models.Asset, b: models.Asset) -> int:
        for item in order_by:
            x = _value(a, item["field"], item.get("metadataKey"))
            y = _value(b, item["field"], item.get("metadataKey"))
            if x is MISSING or y is MISSING:
                if x is MISSING and y is MISSING:
                    continue
                return 1 if x is MISSING else -1
            cx, cy = _comparable(x), _comparable(y)
            if cx != cy:
                sign = -1 if item.get("direction") == "DESC" else 1
                return sign * (-1 if cx < cy else 1)
        sign = -1 if order_by and order_by[-1].get("direction") == "DESC" else 1
        return sign * (-1 if a.id < b.id else 1)

    return [a.id for a in sorted(assets, key=functools.cmp_to_key(compare))]


async def offset_list(api, key: str, where: dict, order_by: list[dict] | None) -> list[str]:
    ids: list[str] = []
    while True:
        variables = {"where": where, "first": 4, "skip": len(ids), "orderBy": order_by}
        page = (await api.data(LIST, variables, key=key))["data"]
        ids += [row["id"] for row in page]
        if len(page) < 4:
            return ids


async def forward_walk(api, key: str, where: dict, order_by: list[dict] | None, size: int = 3) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        variables = {"where": where, "first": size, "after": after, "orderBy": order_by}
        page = (await api.data(CONNECTION, variables, key=key))["data"]
        ids += [node["id"] for node in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def backward_walk(api, key: str, where: dict, order_by: list[dict] | None, size: int = 3) -> list[str]:
    ids: list[str] = []
    before = None
    while True:
        variables = {"where": where, "last": size, "before": before, "orderBy": order_by}
        page = (await api.data(CONNECTION, variables, key=key))["data"]
        ids = [node["id"] for node in page["nodes"]] + ids
        assert page["pageInfo"]["hasNextPage"] == (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            return ids
        before = page["pageInfo"]["startCursor"]


ORDERS = [
    *[
        [{"field": field, "direction": direction}]
        for field in ("CREATED_AT", "UPDATED_AT", "TIMESTAMP", "PRIORITY", "EXTERNAL_ID")
        for direction in ("ASC", "DESC")
    ],
    [{"field": "METADATA", "metadataKey": "speed", "direction": "ASC"}],
    [{"field": "METADATA", "metadataKey": "speed", "direction": "DESC"}],
    [{"field": "METADATA", "metadataKey": "cam.pos", "direction": "DESC"}],
    [{"field": "PRIORITY", "direction": "DESC"}, {"field": "TIMESTAMP"}],
    [{"field": "TIMESTAMP", "direction": "DESC"}, {"field": "METADATA", "metadataKey": "speed"}],
    [{"field": "METADATA", "metadataKey": "cam.pos"}, {"field": "PRIORITY", "direction": "DESC"}],
]


@pytest.mark.parametrize("order_by", ORDERS, ids=lambda o: ",".join(f"{i['field']}:{i.get('direction')}" for i in o))
async def test_every_order_lists_and_pages_both_ways_alike(api, seeder, order_by) -> None:
    project_id, key, assets = await _project(seeder)
    where = {"project": {"id": project_id}}
    expected = expected_order(assets, order_by)
    assert await offset_list(api, key, where, order_by) == expected
    assert await forward_walk(api, key, where, order_by) == expected
    assert await backward_walk(api, key, where, order_by) == expected
    assert (await api.data(COUNT, {"where": where}, key=key))["data"] == len(assets)


async def test_without_order_by_the_order_is_created_then_id(api, seeder) -> None:
    project_id, key, assets = await _project(seeder, 7)
    where = {"project": {"id": project_id}}
    expected = [a.id for a in assets]
    for order_by in (None, [], [{"field": "CREATED_AT"}]):
        assert await offset_list(api, key, where, order_by) == expected
        assert await forward_walk(api, key, where, order_by, 2) == expected
        assert await backward_walk(api, key, where, order_by, 2) == expected


async def test_ties_are_broken_by_id_in_the_last_keys_direction(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    assets = await seeder.assets(project, 6, priority=7)
    where = {"project": {"id": project.id}}
    by_id = sorted(a.id for a in assets)
    for direction, expected in (("ASC", by_id), ("DESC", by_id[::-1])):
        order_by = [{"field": "PRIORITY", "direction": direction}]
        assert await offset_list(api, key, where, order_by) == expected
        assert await forward_walk(api, key, where, order_by, 4) == expected
        assert await backward_walk(api, key, where, order_by, 4) == expected


async def test_a_window_between_two_cursors(api, seeder) -> None:
    project_id, key, assets = await _project(seeder, 10)
    where = {"project": {"id": project_id}}
    order_by = [{"field": "PRIORITY", "direction": "DESC"}, {"field": "TIMESTAMP"}]
    expected = expected_order(assets, order_by)
    page = (await api.data(CONNECTION, {"where": where, "first": 8, "orderBy": order_by}, key=key))["data"]
    start, end = page["pageInfo"]["startCursor"], page["pageInfo"]["endCursor"]
    between = {"where": where, "after": start, "before": end, "orderBy": order_by}
    forward = (await api.data(CONNECTION, {**between, "first": 3}, key=key))["data"]
    backward = (await api.data(CONNECTION, {**between, "last": 3}, key=key))["data"]
    assert [n["id"] for n in forward["nodes"]] == expected[1:4]
    assert [n["id"] for n in backward["nodes"]] == expected[4:7]
    last_page = (await api.data(CONNECTION, {"where": where, "last": 4, "orderBy": order_by}, key=key))["data"]
    assert [n["id"] for n in last_page["nodes"]] == expected[-4:]
    assert last_page["pageInfo"]["hasPreviousPage"] and not last_page["pageInfo"]["hasNextPage"]


def _decoded(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _encoded(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def test_a_cursor_only_works_with_the_order_it_was_made_for(api, seeder) -> None:
    project_id, key, _ = await _project(seeder, 4)
    where = {"project": {"id": project_id}}
    by_priority = [{"field": "PRIORITY", "direction": "DESC"}]
    ordered = (await api.data(CONNECTION, {"where": where, "first": 2, "orderBy": by_priority}, key=key))["data"]
    default = (await api.data(CONNECTION, {"where": where, "first": 2}, key=key))["data"]
    assert _decoded(ordered["pageInfo"]["endCursor"])["orderBy"] == "PRIORITY DESC, id DESC"
    assert isinstance(_decoded(default["pageInfo"]["endCursor"]), list)  # the default order's cursor is unchanged
    mismatches = [
        {"after": ordered["pageInfo"]["endCursor"], "first": 2},
        {"after": default["pageInfo"]["endCursor"], "first": 2, "orderBy": by_priority},
        {"before": ordered["pageInfo"]["endCursor"], "last": 2, "orderBy": [{"field": "PRIORITY"}]},
    ]
    for variables in mismatches:
        error = await api.error(CONNECTION, {"where": where, **variables}, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "was made for the order" in error["message"], error


@pytest.mark.parametrize(
    ("order_by", "key"),
    [
        ([{"field": "PRIORITY"}], [2**40, "x"]),  # beyond int4
        ([{"field": "PRIORITY"}], [True, "x"]),
        ([{"field": "TIMESTAMP"}], ["2026-01-01T00:00:00", "x"]),  # no zone
        ([{"field": "EXTERNAL_ID"}], [None, "x"]),  # external ids are never null
        ([{"field": "METADATA", "metadataKey": "a"}], ["{", "x"]),  # not JSON
        ([{"field": "METADATA", "metadataKey": "a"}], ["NaN", "x"]),
        ([{"field": "METADATA", "metadataKey": "a"}], ["1e999", "x"]),  # PostgreSQL never prints exponents
        ([{"field": "METADATA", "metadataKey": "a"}], ['"\\u0000"', "x"]),
        ([{"field": "METADATA", "metadataKey": "a"}], ["1", "x", "extra"]),
    ],
)
async def test_crafted_ordered_cursors_are_bad_input(api, seeder, order_by, key) -> None:
    org = await seeder.organization()
    _, api_key = await seeder.user(org, admin=True)
    signature = ", ".join(
        f"{'METADATA(' + i['metadataKey'] + ')' if i['field'] == 'METADATA' else i['field']} ASC" for i in order_by
    )
    cursor = _encoded({"orderBy": f"{signature}, id ASC", "key": key})
    for variables in ({"first": 2, "after": cursor}, {"last": 2, "before": cursor}):
        error = await api.error(CONNECTION, {"where": {}, "orderBy": order_by, **variables}, key=api_key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "Malformed cursor" in error["message"], error


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"orderBy": [{"field": "METADATA"}], "first": 1}, "needs a metadataKey"),
        ({"orderBy": [{"field": "PRIORITY", "metadataKey": "a"}], "first": 1}, "goes with field METADATA only"),
        ({"orderBy": [{"field": "METADATA", "metadataKey": "a..b"}], "first": 1}, "empty segment"),
        ({"orderBy": [{"field": "PRIORITY"}, {"field": "PRIORITY", "direction": "DESC"}], "first": 1}, "twice"),
        ({"orderBy": [{"field": "PRIORITY"}] * 6, "first": 1}, "at most 5"),
        ({"first": 1, "last": 1}, "exactly one of `first`"),
    ],
)
async def test_bad_orders_and_windows_are_bad_input(api, seeder, variables, message) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    error = await api.error(CONNECTION, {"where": {}, **variables}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"], error
    if "orderBy" in variables:
        list_variables = {"where": {}, "first": 1, "skip": 0, "orderBy": variables["orderBy"]}
        error = await api.error(LIST, list_variables, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"], error


PAGE = """query($where: AssetWhere!, $orderBy: [AssetOrderBy!], $last: PageSize, $before: String) {
  data: assetsConnection(where: $where, last: $last, before: $before, orderBy: $orderBy) {
    nodes { id url project { id } } pageInfo { startCursor hasPreviousPage } } }"""


async def test_an_ordered_page_costs_the_same_statements_for_1_and_100_assets(api, seeder, sql_counter) -> None:
    """1 authentication, 1 page with its sort keys, 1 batched statement for the projects."""
    counts = {}
    for size in (1, 100):
        project_id, key, _ = await _project(seeder, size)
        order_by = [{"field": "METADATA", "metadataKey": "speed", "direction": "DESC"}, {"field": "TIMESTAMP"}]
        variables = {"where": {"project": {"id": project_id}}, "orderBy": order_by, "last": 100}
        sql_counter.statements.clear()
        with sql_counter:
            page = (await api.data(PAGE, variables, key=key))["data"]
        assert len(page["nodes"]) == size
        counts[size] = sql_counter.count
    assert counts[1] == counts[100] == 3, (counts, sql_counter.statements)


async def test_cursors_keep_metadata_numbers_exact(api, seeder) -> None:
    """Numbers that a float cannot tell apart still page exactly: the cursor holds jsonb's own text."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    values = [2**70 + 2, 2**70, 2**70 + 1, 0.1, 2**70, 2**70 + 1]
    assets = [await seeder.asset(project, json_metadata={"n": v}) for v in values]
    where = {"project": {"id": project.id}}
    for direction in ("ASC", "DESC"):
        order_by = [{"field": "METADATA", "metadataKey": "n", "direction": direction}]
        expected = expected_order(assets, order_by)
        assert await offset_list(api, key, where, order_by) == expected
        assert await forward_walk(api, key, where, order_by, 1) == expected
        assert await backward_walk(api, key, where, order_by, 1) == expected
