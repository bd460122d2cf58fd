"""Fuzz run of thousands of generated operations, outside CI (tests/test_fuzz.py runs a few hundred).

Starts its own PostgreSQL and S3 in temp dirs, runs the gateway in-process (so that an exception escaping
the app is seen with its cause, as the server log would show it) and drives it with the harness of
tests/fuzz.py: each generated query or mutation is sent with an organization admin's key and without a
key. Prints the answers per error code, the number of INTERNAL errors and non-JSON answers, and every
failure class with its first documents; exits 1 when there is any.
Run: `.venv/bin/python -m bench.fuzz [--operations 5000] [--seed 0] [--batch 250] [--examples 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import httpx

from bench.stack import services
from gateway.app import create_app
from tests.factories import Seeder
from tests.fuzz import Tally, fuzz


async def run(operations: int, seed_value: int, batch: int) -> Tally:
    started = time.monotonic()

    def progress(done: int, tally: Tally) -> None:
        print(
            f"{done}/{operations} operations, {time.monotonic() - started:.0f} s: {len(tally.failures)} failure "
            f"classes, {tally.internal} INTERNAL, {tally.non_json} non-JSON",
            file=sys.stderr,
            flush=True,
        )

    with services() as settings:
        # Thousands of requests a minute from one address: rate limiting (tests/test_rate_limit.py) would
        # answer most of them 429 and hide what the gateway does with the documents.
        app = create_app(settings.model_copy(update={"rate_limit_per_minute": 0}))
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.fuzz") as client:
                return await fuzz(
                    client, Seeder(app.state.services.session_factory), operations, seed_value, batch, progress
                )
        finally:
            await app.state.services.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=5000, help="generated documents (each sent twice)")
    parser.add_argument("--seed", type=int, default=0, help="generation seed: the same documents for the same seed")
    parser.add_argument("--batch", type=int, default=250, help="operations per freshly seeded organization")
    parser.add_argument("--examples", type=int, default=3, help="failing documents shown per failure class")
    args = parser.parse_args()
    tally = asyncio.run(run(args.operations, args.seed, args.batch))
    print(tally.report(examples=args.examples))
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
