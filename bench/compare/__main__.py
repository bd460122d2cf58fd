"""`python -m bench.compare`: see the package docstring."""

from __future__ import annotations

import argparse

from bench.compare import __doc__ as DOC
from bench.compare.harness import main

QUICK = {"assets": 5_000, "labels": 15_000, "rounds": 1, "duration": 2.0, "warmup": 1.0, "memory_requests": 200}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare", description=DOC, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=100_000, help="assets to seed (default 100,000)")
    parser.add_argument("--labels", type=int, default=300_000, help="labels to seed, about (default 300,000)")
    parser.add_argument("--users", type=int, default=20, help="users, each with an API key (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every system and workload (default 3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of wrk per cell (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per system and read workload (default 3)")
    parser.add_argument(
        "--memory-requests", type=int, default=10_000, help="W1 requests of the RSS run, 0 to skip (default 10,000)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: " + ", ".join(f"{k}={v}" for k, v in QUICK.items())
    )
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.memory_requests and args.memory_requests < 100:
        parser.error("--memory-requests: at least 100 (RSS is read after 100 and after all)")
    return args


if __name__ == "__main__":
    main(parse())
