"""Read benchmark: latency of Kili-style asset pages, counts and deep paging on a real stack.

Starts its own PostgreSQL and S3 in temp dirs, seeds N assets (2 labels each, metadata, a set and a
session) straight into the database, serves the gateway with uvicorn on loopback and times requests
sent over HTTP. Run: `.venv/bin/python -m bench.read_assets [--assets 20000] [--requests 100]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert

from bench.stack import services, serving
from gateway.auth import generate_api_key, new_api_key_row
from gateway.db import models
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.ids import new_id

PAGE = """query($where: AssetWhere!, $first: PageSize!, $skip: Int!) {
  data: assets(where: $where, first: $first, skip: $skip) {
    id externalId content jsonMetadata status createdAt
    labels { id labelType jsonResponse author { id email } }
    project { id title } sets { id name } session { id name }
  } }"""
COUNT = "query($where: AssetWhere!) { data: countAssets(where: $where) }"
CONNECTION = """query($where: AssetWhere!, $after: String) {
  assetsConnection(where: $where, first: 100, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }"""


async def seed(database_url: str, assets: int) -> tuple[str, str]:
    """Writes the data set; returns (project id, API key)."""
    engine = make_engine(database_url)
    session_factory = make_session_factory(engine)
    key = generate_api_key()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with session_factory() as db, db.begin():
        org = models.Organization(name="bench")
        db.add(org)
        await db.flush()
        users = [
            models.User(organization_id=org.id, email=f"bench{i}@example.com", is_org_admin=i == 0) for i in range(2)
        ]
        db.add_all(users)
        await db.flush()
        db.add(new_api_key_row(users[0].id, key))
        project = models.Project(organization_id=org.id, title="bench")
        db.add(project)
        await db.flush()
        recording = models.Session(project_id=project.id, name="drive-1")
        asset_set = models.AssetSet(project_id=project.id, name="curated")
        db.add_all([recording, asset_set])
        await db.flush()
        for offset in range(0, assets, 5000):
            rows, labels, members = [], [], []
            for i in range(offset, min(assets, offset + 5000)):
                asset_id = new_id()
                created = start + timedelta(milliseconds=i)
                rows.append(
                    dict(
                        id=asset_id,
                        project_id=project.id,
                        external_id=f"ext-{i}",
                        content=f"https://example.com/{i}.jpg",
                        json_metadata={"camera": f"cam{i % 4}", "speed": i % 100},
                        status="LABELED",
                        session_id=recording.id,
                        timestamp=created,
                        created_at=created,
                        updated_at=created,
                    )
                )
                labels += [
                    dict(
                        id=new_id(),
                        asset_id=asset_id,
                        project_id=project.id,
                        author_id=users[j].id,
                        label_type="DEFAULT",
                        json_response={"JOB": {"categories": [{"name": "CAR"}]}},
                        created_at=created,
                    )
                    for j in range(2)
                ]
                if i % 2 == 0:
                    members.append(dict(set_id=asset_set.id, asset_id=asset_id))
            await db.execute(insert(models.Asset), rows)
            await db.execute(insert(models.Label), labels)
            if members:
                await db.execute(insert(models.SetAsset), members)
    await engine.dispose()
    return project.id, key


async def timed(client: httpx.AsyncClient, query: str, variables: dict, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        assert not body.get("errors"), body["errors"]
        times.append((time.perf_counter() - began) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{name:<48} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   (n={len(times)})")


async def measure(url: str, key: str, project_id: str, requests: int) -> None:
    where = {"project": {"id": project_id}, "label": {}, "issue": {}}
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"X-API-Key: {key}"}, timeout=60) as client:
        await timed(client, PAGE, {"where": where, "first": 100, "skip": 0}, 3)  # warm up
        report(
            "page of 100 assets + labels/authors/project/sets",
            await timed(client, PAGE, {"where": where, "first": 100, "skip": 0}, requests),
        )
        report("countAssets (project)", await timed(client, COUNT, {"where": where}, requests))
        report(
            "countAssets (metadata camera + speed range)",
            await timed(
                client, COUNT, {"where": {**where, "metadata": {"camera": "cam1", "speed": [10, 50]}}}, requests
            ),
        )
        report(
            "page of 100 at skip=10000 (offset)",
            await timed(client, PAGE, {"where": where, "first": 100, "skip": 10000}, max(10, requests // 5)),
        )
        began = time.perf_counter()
        after, pages = None, 0
        while True:
            body = (
                await client.post("/graphql", json={"query": CONNECTION, "variables": {"where": where, "after": after}})
            ).json()
            page = body["data"]["assetsConnection"]
            pages += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        elapsed = (time.perf_counter() - began) * 1000
        print(
            f"{'keyset walk of all assets, 100 per page':<48} {pages} pages in {elapsed:.0f} ms "
            f"({elapsed / pages:.1f} ms/page)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with services() as settings:
        began = time.perf_counter()
        project_id, key = asyncio.run(seed(settings.database_url, args.assets))
        print(f"seeded {args.assets} assets, {2 * args.assets} labels in {time.perf_counter() - began:.1f} s")
        with serving(settings) as url:
            asyncio.run(measure(url, key, project_id, args.requests))


if __name__ == "__main__":
    main()
