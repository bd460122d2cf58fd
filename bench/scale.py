"""Statistics and filtered counts on 1,000,000 assets: p50 over N runs, and the plans behind them.

Starts its own PostgreSQL and S3 in temp dirs, seeds one project of N assets (default 1,000,000)
with `INSERT ... SELECT generate_series` inside PostgreSQL (no Python per row: ~1 min for 1M here),
plus a small second project the viewer cannot see, so visibility is part of every plan. The viewer
is a project member (TEAM_MANAGER), not an org admin: the usual case. Then, over HTTP against the
gateway in its own process, it times

- `countAssets` with a metadata equality filter (`weather = "rain"`, a quarter of the assets),
- `assetStats` with three aggregations: terms on status, terms on a metadata key (`camera`) and
  numeric range buckets on another (`speed`),
- the same `assetStats` narrowed by a metadata filter (`time_of_day = "night"`),

and prints p50/p95, first reading metadata from the JSON, then again after indexing the hot keys
(`labelgate metadata-columns add`, gateway/db/metadata_columns.py). With `--explain` it then reruns
each once with auto_explain (ANALYZE, BUFFERS) and prints the plans PostgreSQL chose for the
statements on `asset`.

Run: `.venv/bin/python -m bench.scale [--assets 1000000] [--runs 20] [--explain]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import asyncpg
import httpx

from bench.stack import services_and_log, serving
from gateway.auth import generate_api_key, new_api_key_row
from gateway.db import models
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.metadata_columns import add_column

CHUNK = 100_000

COUNT = "query($where: AssetWhere!) { countAssets(where: $where) }"
STATS = """query($where: AssetWhere!) {
  assetStats(
    where: $where
    terms: [{dimension: STATUS}, {dimension: METADATA, metadataKey: "camera"}]
    ranges: [{metadataKey: "speed", ranges: [{to: 30}, {from: 30, to: 60}, {from: 60, to: 90}, {from: 90}]}]
  ) { total aggregations { name otherCount missingCount buckets { key count } } } }"""

# One row per asset, computed by PostgreSQL from i alone, so every run seeds the same data.
# hashint4 spreads i; the skewed weather (50/25/15/10 %) and the 5 % of assets without `speed` make
# the buckets and missingCount non-trivial.
SEED_ASSETS = """
INSERT INTO asset (id, project_id, external_id, content, json_metadata, status, priority, mime_type,
                   sensor, tags, timestamp, created_at, updated_at)
SELECT 'a' || lpad(i::text, 9, '0'), $1, 'frame-' || i, '',
       jsonb_strip_nulls(jsonb_build_object(
         'weather', CASE WHEN h % 100 < 50 THEN 'sun' WHEN h % 100 < 75 THEN 'rain'
                         WHEN h % 100 < 90 THEN 'snow' ELSE 'fog' END,
         'camera', 'cam' || (i % 8),
         'speed', CASE WHEN i % 20 = 0 THEN NULL ELSE (h2 % 1300) / 10.0 END,
         'time_of_day', CASE WHEN h2 % 3 = 0 THEN 'night' ELSE 'day' END,
         'vehicle', jsonb_build_object('id', 'veh-' || (i % 50)))),
       (ARRAY['TODO','TODO','TODO','TODO','ONGOING','LABELED','LABELED','LABELED','TO_REVIEW','REVIEWED'])[1 + i % 10],
       i % 5, CASE WHEN i % 10 = 0 THEN 'image/png' ELSE 'image/jpeg' END, 'cam' || (i % 8),
       CASE WHEN i % 7 = 0 THEN ARRAY['hard'] ELSE '{}' END,
       timestamptz '2026-01-01' + i * interval '30 second',
       timestamptz '2026-01-01' + i * interval '30 second',
       timestamptz '2026-01-01' + i * interval '30 second'
FROM (SELECT i, abs(hashint4(i)) AS h, abs(hashint4(i + 7919)) AS h2 FROM generate_series($2::int, $3::int) AS i) s
"""


async def seed(database_url: str, assets: int) -> tuple[str, str]:
    """Writes the data set; returns (project id, API key of a TEAM_MANAGER member)."""
    engine = make_engine(database_url)
    key = generate_api_key()
    async with make_session_factory(engine)() as db, db.begin():
        org = models.Organization(name="scale")
        db.add(org)
        await db.flush()
        viewer = models.User(organization_id=org.id, email="curator@example.com")
        db.add(viewer)
        await db.flush()
        db.add(new_api_key_row(viewer.id, key))
        project = models.Project(organization_id=org.id, title="drives")
        hidden = models.Project(organization_id=org.id, title="someone else's")
        db.add_all([project, hidden])
        await db.flush()
        db.add(models.ProjectMember(project_id=project.id, user_id=viewer.id, role="TEAM_MANAGER"))
        project_id, hidden_id = project.id, hidden.id
    await engine.dispose()

    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for start in range(1, assets + 1, CHUNK):
            await connection.execute(SEED_ASSETS, project_id, start, min(assets, start + CHUNK - 1))
        await connection.execute(SEED_ASSETS.replace("'a' || lpad", "'h' || lpad"), hidden_id, 1, min(assets, 10_000))
        await connection.execute("VACUUM ANALYZE asset")
    finally:
        await connection.close()
    return project_id, key


async def timed(client: httpx.AsyncClient, query: str, variables: dict, runs: int) -> tuple[list[float], dict]:
    times, data = [], {}
    for _ in range(runs):
        began = time.perf_counter()
        body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
        times.append((time.perf_counter() - began) * 1000)
        assert not body.get("errors"), body["errors"]
        data = body["data"]
    return times, data


def workloads(project_id: str) -> list[tuple[str, str, dict]]:
    project = {"project": {"id": project_id}}
    return [
        ("countAssets, metadata weather = rain", COUNT, {"where": {**project, "metadata": {"weather": "rain"}}}),
        ("assetStats: status + camera terms + speed ranges", STATS, {"where": project}),
        (
            "assetStats, same, where time_of_day = night",
            STATS,
            {"where": {**project, "metadata": {"time_of_day": "night"}}},
        ),
    ]


async def measure(url: str, key: str, project_id: str, runs: int) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=120) as client:
        for name, query, variables in workloads(project_id):
            await timed(client, query, variables, 2)  # warm the cache and the connection pool
            times, data = await timed(client, query, variables, runs)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"{name:<50} p50 {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms   (n={runs})")
            print(f"    answer: {str(data)[:300]}")


async def set_auto_explain(database_url: str, on: bool) -> None:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        name = (await connection.fetchval("SELECT current_database()")).replace('"', '""')
        settings = {
            "session_preload_libraries": "auto_explain",
            "auto_explain.log_min_duration": "0",
            "auto_explain.log_analyze": "on",
            "auto_explain.log_buffers": "on",
            "auto_explain.log_timing": "on",
        }
        for setting, value in settings.items():
            if on:
                await connection.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")
            else:
                await connection.execute(f'ALTER DATABASE "{name}" RESET {setting}')
    finally:
        await connection.close()


def plans_on_asset(log: Path, since: int) -> list[str]:
    """The auto_explain entries written after byte `since` whose query reads the asset table."""
    text = log.read_bytes()[since:].decode(errors="replace")
    entries = text.split("LOG:  duration:")[1:]
    return ["duration:" + e.strip() for e in entries if " asset" in e and "api_key" not in e]


def explain(settings_url: str, serve_settings, log: Path, key: str, project_id: str) -> None:
    asyncio.run(set_auto_explain(settings_url, on=True))
    try:
        with serving(serve_settings) as url:
            since = log.stat().st_size
            asyncio.run(measure(url, key, project_id, 1))
            for plan in plans_on_asset(log, since):
                print("-" * 100)
                print(plan)
    finally:
        asyncio.run(set_auto_explain(settings_url, on=False))


async def index_keys(database_url: str, keys: list[str]) -> None:
    engine = make_engine(database_url)
    try:
        for key in keys:
            began = time.perf_counter()
            column = await add_column(engine, key)
            print(f"indexed {key!r} (asset.{column.column}) in {time.perf_counter() - began:.1f} s")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print the plans (auto_explain) after timing")
    parser.add_argument(
        "--index-keys",
        nargs="*",
        default=["weather", "camera", "speed", "time_of_day"],
        help="metadata keys to index (labelgate metadata-columns add) before the second round; none: skip it",
    )
    args = parser.parse_args()
    with services_and_log() as (settings, log):
        began = time.perf_counter()
        project_id, key = asyncio.run(seed(settings.database_url, args.assets))
        print(f"seeded {args.assets:,} assets (+ a hidden project) in {time.perf_counter() - began:.1f} s")
        print("--- metadata read from the JSON (no indexed keys)")
        with serving(settings) as url:
            asyncio.run(measure(url, key, project_id, args.runs))
        if args.index_keys:
            asyncio.run(index_keys(settings.database_url, args.index_keys))
            print(f"--- with indexed keys {', '.join(args.index_keys)}")
            with serving(settings) as url:
                asyncio.run(measure(url, key, project_id, args.runs))
        if args.explain:
            explain(settings.database_url, settings, log, key, project_id)


if __name__ == "__main__":
    main()
