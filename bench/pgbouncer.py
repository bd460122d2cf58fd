"""What `LABELGATE_DATABASE_PGBOUNCER` costs: W2-like `asset(id)` requests a second, served by one
gateway process over HTTP (wrk, as bench.compare runs it), in three set-ups:

- direct: the gateway straight to PostgreSQL, statement caches on (the default);
- direct, setting on: the same, with the setting (what turning the caches off costs by itself);
- PgBouncer: the gateway through PgBouncer in transaction mode, with the setting (what production
  behind PgBouncer gets; the extra hop included).

Run: `.venv/bin/python -m bench.pgbouncer [--seconds 10] [--connections 16] [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from bench.compare.load import read_script, run_wrk
from bench.compare.workloads import LG_W2, body
from bench.read_assets import seed
from bench.stack import services, serving
from gateway.settings import Settings
from tests.pgbouncer import PgBouncer


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """`os.environ` with `values` for the block (bench.stack.serving passes os.environ on)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def asset_ids(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [row["id"] for row in await conn.fetch("SELECT id FROM asset ORDER BY id LIMIT 1000")]
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with services() as settings:
        assert settings.database_url
        _, key = asyncio.run(seed(settings.database_url, 2000))
        ids = asyncio.run(asset_ids(settings.database_url))
        script = read_script(key, [body(LG_W2, {"id": i}) for i in ids])
        # As many server connections as the gateway's pool holds (10): PgBouncer adds a hop, not a queue.
        bouncer = PgBouncer(settings.database_url, pool_size=settings.database_pool_size)
        setups: list[tuple[str, Settings, str]] = [
            ("direct", settings, "false"),
            ("direct, setting on", settings, "true"),
            (
                "PgBouncer (transaction mode), setting on",
                settings.model_copy(update={"database_url": bouncer.url}),
                "true",
            ),
        ]
        results: dict[str, list[float]] = {name: [] for name, _, _ in setups}
        try:
            for _ in range(args.rounds):
                for name, setup, flag in setups:
                    with environment(LABELGATE_DATABASE_PGBOUNCER=flag), serving(setup) as url:
                        run_wrk(url, script, args.connections, 2)  # warm-up
                        result = run_wrk(url, script, args.connections, args.seconds)
                    assert result.bad == 0 and result.socket_errors == 0, result
                    results[name].append(result.rps)
                    print(f"{name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms")
        finally:
            bouncer.stop()
        base = max(results["direct"])
        for name, rates in results.items():
            print(f"{name:45} best {max(rates):7.0f} req/s  ({max(rates) / base:.2f}x direct)")


if __name__ == "__main__":
    main()
