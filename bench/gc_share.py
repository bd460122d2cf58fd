"""The garbage collector's share of a request: W1 (a page of 100 assets with their labels, authors and
project) served in this process, with the collector timed by `gc.callbacks` (`gateway.gc_tuning.GcPauses`).

Starts its own PostgreSQL and S3, seeds `--assets` assets (2 labels each, bench.read_assets), runs the
app's lifespan (which tunes the collector unless LABELGATE_GC_TUNING=false), sends `--warmup` then
`--requests` W1 requests through httpx's ASGI transport (client and server share the process: the
share is of the whole request), and prints the collections per generation, their total pause and its
share of the wall time, for the planned path and for the resolvers (LABELGATE_QUERY_PLANNER=false),
each with the collector tuned and with Python's defaults (LABELGATE_GC_TUNING=false; a default run
first undoes what an earlier run tuned).
Run: `.venv/bin/python -m bench.gc_share [--assets 5000] [--requests 300]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

import httpx

from bench.compare.workloads import LG_W1
from bench.read_assets import seed
from bench.stack import services
from gateway.app import create_app
from gateway.gc_tuning import GcPauses
from gateway.settings import Settings

PYTHON_DEFAULT_THRESHOLDS = (700, 10, 10)


async def measure(settings: Settings, project: str, key: str, warmup: int, requests: int) -> None:
    if not settings.gc_tuning:  # undo an earlier run's tuning: Python's defaults
        gc.unfreeze()
        gc.set_threshold(*PYTHON_DEFAULT_THRESHOLDS)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"X-API-Key: {key}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client,
    ):
        body = {"query": LG_W1, "variables": {"where": {"project": {"id": project}}}}
        for _ in range(warmup):
            assert "errors" not in (await client.post("/graphql", json=body)).json()
        with GcPauses() as pauses:
            began = time.perf_counter()
            for _ in range(requests):
                await client.post("/graphql", json=body)
            wall = time.perf_counter() - began
    path = "planned" if settings.query_planner else "resolvers"
    tuning = "GC tuned" if settings.gc_tuning else "GC default"
    print(
        f"{path:9}  {tuning:10}  {wall / requests * 1000:6.1f} ms a request, collections {pauses.collections}, "
        f"pause {pauses.total / requests * 1000:.2f} ms a request = {pauses.total / wall:.1%} of the time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    with services() as settings:
        project, key = asyncio.run(seed(settings.database_url, args.assets))
        for planner in (True, False):
            for tuning in (True, False):
                update = {"query_planner": planner, "gc_tuning": tuning, "rate_limit_per_minute": 0}
                asyncio.run(measure(settings.model_copy(update=update), project, key, args.warmup, args.requests))


if __name__ == "__main__":
    main()
