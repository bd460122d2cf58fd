"""Indexed metadata keys (gateway/db/metadata_columns.py): once a key has its generated column, every
filter, sort and statistic on it reads the column, and answers exactly what it answered from the JSON;
the `labelgate metadata-columns` command adds, lists and drops them."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.db.metadata_columns import add_column, column_name, drop_column, list_columns
from resolvers.filters.metadata_keys import indexed_keys

LABELGATE = [str(Path(sys.executable).parent / "labelgate")]
KEYS = ["weather", "speed", "camera.id"]

# Values chosen to tell JSON equality from text equality: "1" vs 1, 1 vs 1.0, null vs absent, and
# strings, booleans and objects among numbers (for ranges and jsonb ordering).
WEATHER = ["rain", "sun", "1", 1, None, True, {"kind": "rain"}]
SPEED = [0, 1, 1.0, 2.5, 10, 50, 49.999, "12", None, False, [1, 2], -3]
CAMERA = ["cam0", "cam1", 7, None]

QUERIES = {
    "count": ("query($w: AssetWhere!) { countAssets(where: $w) }", None),
    "list": (
        "query($w: AssetWhere!, $o: [AssetOrderBy!]) { assets(where: $w, first: 100, skip: 0, orderBy: $o) { id } }",
        None,
    ),
}
STATS = """query($w: AssetWhere!) {
  assetStats(where: $w,
    terms: [{dimension: METADATA, metadataKey: "weather"}, {dimension: METADATA, metadataKey: "camera.id"}]
    ranges: [{metadataKey: "speed", ranges: [{to: 1}, {from: 1, to: 10}, {from: 10}]}]
    metrics: [{op: SUM, metadataKey: "speed"}, {op: CARDINALITY, metadataKey: "weather"},
              {op: MAX, metadataKey: "speed"}]) {
    total metrics { op metadataKey value valueCount }
    aggregations { name otherCount missingCount buckets { key count } } } }"""


def _metadata(rng: random.Random) -> dict:
    metadata: dict = {}
    if rng.random() < 0.85:
        metadata["weather"] = rng.choice(WEATHER)
    if rng.random() < 0.85:
        metadata["speed"] = rng.choice(SPEED)
    if rng.random() < 0.7:
        metadata["camera"] = {"id": rng.choice(CAMERA)} if rng.random() < 0.9 else "flat"
    return metadata


def _filters(project_id: str) -> list[dict]:
    p = {"project": {"id": project_id}}
    return [
        {**p, "metadata": {"weather": "rain"}},
        {**p, "metadata": {"weather": "1"}},
        {**p, "metadata": {"weather": 1}},
        {**p, "metadata": {"weather": None}},
        {**p, "metadata": {"weather": {"kind": "rain"}}},
        {**p, "metadata": {"weather": ["rain", "sun", 1]}},
        {**p, "metadata": {"weather": [f"w{i}" for i in range(25)] + ["sun"]}},
        {**p, "metadata": {"speed": [1, 10]}},
        {**p, "metadata": {"speed": [-5, 0]}},
        {**p, "metadata": {"speed": 1}},
        {**p, "metadata": {"camera.id": "cam1"}},
        {**p, "metadata": {"camera.id": 7, "weather": "sun"}},
        {**p, "metadataNot": {"weather": ["rain", None]}},
        {**p, "metadataExists": {"camera.id": True, "speed": False}},
    ]


async def _answers(api, key: str, project_id: str) -> list:
    answers = []
    for where in _filters(project_id):
        answers.append(await api.data(QUERIES["count"][0], {"w": where}, key=key))
    for order in (
        [{"field": "METADATA", "metadataKey": "speed", "direction": "DESC"}],
        [{"field": "METADATA", "metadataKey": "weather"}, {"field": "METADATA", "metadataKey": "camera.id"}],
    ):
        answers.append(await api.data(QUERIES["list"][0], {"w": {"project": {"id": project_id}}, "o": order}, key=key))
    for where in ({"project": {"id": project_id}}, {"project": {"id": project_id}, "metadata": {"weather": "sun"}}):
        answers.append(await api.data(STATS, {"w": where}, key=key))
    return answers


@pytest.fixture
async def indexed(app):
    """Adds the KEYS' columns for one test and drops them afterwards (the test database is shared)."""
    engine = app.state.services.engine
    keys = app.state.services.indexed_metadata
    try:
        yield lambda: add_keys(engine, keys)
    finally:
        for key in KEYS:
            await drop_column(engine, key, grace_seconds=0)
        await keys.refresh(engine)


async def add_keys(engine, keys) -> None:
    for key in KEYS:
        await add_column(engine, key)
    await keys.refresh(engine)


async def test_indexed_keys_answer_exactly_what_the_json_answers(seeder, api, app, sql_counter, indexed) -> None:
    rng = random.Random(9)
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    for _ in range(120):
        await seeder.asset(project, json_metadata=_metadata(rng))

    from_json = await _answers(api, key, project.id)
    assert any(a.get("countAssets") for a in from_json), "the data set must match some filters"

    await indexed()
    assert app.state.services.indexed_metadata.current == {k: column_name(k) for k in KEYS}
    with sql_counter:
        from_columns = await _answers(api, key, project.id)
    assert from_columns == from_json
    used = " ".join(sql_counter.statements)
    assert all(column_name(k) in used for k in KEYS), "the compilers must read the generated columns"
    assert "json_metadata @>" not in used and "#>" not in used.replace("#>>", "")


async def test_a_request_uses_the_keys_indexed_when_it_began(app, indexed) -> None:
    assert dict(indexed_keys.get()) == {}
    await indexed()
    assert app.state.services.indexed_metadata.current["weather"] == column_name("weather")
    # the ContextVar of this task is untouched: only the gateway's requests set it
    assert dict(indexed_keys.get()) == {}


async def test_the_index_serves_an_equality_count(app, seeder, indexed) -> None:
    org = await seeder.organization()
    project = await seeder.project(org)
    await seeder.assets(project, 3, json_metadata={"weather": "rain"})
    await indexed()
    column = column_name("weather")
    async with app.state.services.engine.connect() as connection:
        await connection.exec_driver_sql("SET enable_seqscan = off")
        plan = (
            await connection.exec_driver_sql(
                f"EXPLAIN SELECT count(*) FROM asset WHERE project_id = '{project.id}' AND {column} = '\"rain\"'"
            )
        ).scalars()
        plan_text = "\n".join(plan)
    assert f"ix_asset_{column}" in plan_text and "Index Only Scan" in plan_text


def test_the_command_adds_lists_and_drops_keys(settings) -> None:
    env = {**os.environ, "LABELGATE_DATABASE_URL": settings.database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*LABELGATE, "metadata-columns", *args], capture_output=True, text=True, env=env)

    try:
        added = run("add", "sensor.gain")
        assert added.returncode == 0, added.stderr
        assert f"indexed 'sensor.gain' as asset.{column_name('sensor.gain')}" in added.stdout
        assert f"sensor.gain\tasset.{column_name('sensor.gain')}" in run("list").stdout
        bad = run("add", "a..b")
        assert bad.returncode != 0 and "empty segment" in bad.stderr
        dropped = run("drop", "sensor.gain", "--grace-seconds", "0")
        assert dropped.returncode == 0 and "dropped the column of 'sensor.gain'" in dropped.stdout
        assert "sensor.gain" not in run("list").stdout
        assert "is not indexed" in run("drop", "sensor.gain", "--grace-seconds", "0").stdout
    finally:
        run("drop", "sensor.gain", "--grace-seconds", "0")


async def test_a_dropped_key_is_retired_before_its_column_goes(app, indexed) -> None:
    engine, keys = app.state.services.engine, app.state.services.indexed_metadata
    await indexed()
    dropping = asyncio.create_task(drop_column(engine, "weather", grace_seconds=1.0))
    await asyncio.sleep(0.3)
    retiring = {c.key: c.retiring for c in await list_columns(engine)}
    assert retiring["weather"] is True and retiring["speed"] is False
    await keys.refresh(engine)
    assert "weather" not in keys.current and "speed" in keys.current  # gateways stop using it at once
    assert await dropping is True
    assert "weather" not in {c.key for c in await list_columns(engine)}
