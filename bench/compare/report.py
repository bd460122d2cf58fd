"""The printed result: one markdown table of medians over rounds, the ratios, issue 10's targets."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench.compare.workloads import APPEND_BATCH, WORKLOADS

if TYPE_CHECKING:
    from bench.compare.harness import Measurement, Run

LG1, LG2, PG, FLOOR = "labelgate 1w", "labelgate 2w", "PostGraphile", "floor"
COLUMNS = (LG1, LG2, PG, FLOOR)
RATIOS = ((LG1, PG), (LG2, PG), (LG1, FLOOR), (LG2, FLOOR))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def number(value: float) -> str:
    """Three significant figures or so, thousands separated: 0.31, 11.8, 1,409."""
    if math.isnan(value):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


METRICS: list[tuple[str, Callable[[Measurement], float], bool]] = [
    # name, value of one measurement, whether the ratio columns apply
    ("p50 ms", lambda m: m.result.p50_ms, True),
    ("p99 ms", lambda m: m.result.p99_ms, True),
    ("req/s", lambda m: m.result.rps, True),
    ("CPU ms/req, server", lambda m: m.server_cpu_ms, False),
    ("CPU ms/req, PostgreSQL", lambda m: m.postgres_cpu_ms, False),
]


def medians(run: Run) -> dict[tuple[str, str, int, str], float]:
    """(system, workload, concurrency, metric) -> median over rounds."""
    out = {}
    for (system, workload, connections), measurements in run.results.items():
        for name, value, _ in METRICS:
            scale = APPEND_BATCH if workload == "W4" and name == "req/s" else 1
            out[(system, workload, connections, name)] = median([value(m) * scale for m in measurements])
    return out


def print_report(run: Run) -> None:
    args, seeded = run.args, run.seeded
    table = medians(run)
    print()
    print(
        f"bench.compare: {seeded.assets:,} assets, {seeded.labels:,} labels, {args.users} users; "
        f"medians over {args.rounds} round(s) of {args.duration:g} s per cell; wrk, 1 thread, keep-alive"
    )
    for workload in WORKLOADS:
        print(f"  {workload.name}: {workload.title}")
    print()
    header = ["workload", "c", "metric", *COLUMNS, *(f"{a.split()[-1]}/{b}" for a, b in RATIOS)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for workload in WORKLOADS:
        for connections in (1, 8):
            for name, _, with_ratios in METRICS:
                shown = "assets/s" if workload.name == "W4" and name == "req/s" else name
                cells = [table.get((system, workload.name, connections, name), math.nan) for system in COLUMNS]
                ratios = []
                for left, right in RATIOS:
                    a = table.get((left, workload.name, connections, name), math.nan)
                    b = table.get((right, workload.name, connections, name), math.nan)
                    ratios.append(f"{a / b:.2f}×" if with_ratios and b and not math.isnan(a / b) else "")
                row = [workload.name, str(connections), shown, *(number(c) for c in cells), *ratios]
                print("| " + " | ".join(row) + " |")
    print()
    print("load average (1, 5, 15 min): " + "; ".join(f"{when} {value}" for when, value in run.loads))
    if run.memory:
        after_100, after_all, requests = run.memory
        print(
            f"memory: labelgate (1 worker) RSS {after_100:.0f} MiB after 100 W1 requests, {after_all:.0f} MiB "
            f"after {requests:,}: {after_all / after_100:.2f}× (issue 10 wants at most 1.20×)"
        )
    print_targets(table, run)


def print_targets(table: dict[tuple[str, str, int, str], float], run: Run) -> None:
    """Issue 10's 'Done when', read off this run: latency targets with 1 worker, throughput with 2."""

    def ratio(system: str, other: str, workload: str, connections: int, metric: str) -> float:
        a = table.get((system, workload, connections, metric), math.nan)
        b = table.get((other, workload, connections, metric), math.nan)
        return a / b if b else math.nan

    targets = [
        ("W1 p50 at c=1, 1 worker <= 2x PostGraphile", ratio(LG1, PG, "W1", 1, "p50 ms"), lambda r: r <= 2),
        ("W1 req/s at c=8, 2 workers >= 0.5x PostGraphile", ratio(LG2, PG, "W1", 8, "req/s"), lambda r: r >= 0.5),
        ("W2 p50 at c=1, 1 worker <= 4x PostGraphile", ratio(LG1, PG, "W2", 1, "p50 ms"), lambda r: r <= 4),
        ("W3 p50 at c=1, 1 worker <= 1.2x PostGraphile", ratio(LG1, PG, "W3", 1, "p50 ms"), lambda r: r <= 1.2),
        ("W4 assets/s at c=8, 2 workers >= 0.5x floor", ratio(LG2, FLOOR, "W4", 8, "req/s"), lambda r: r >= 0.5),
    ]
    if run.memory:
        targets.append(
            (f"RSS after {run.memory[2]:,} W1 / after 100 <= 1.2", run.memory[1] / run.memory[0], lambda r: r <= 1.2)
        )
    print("issue 10 targets:")
    for name, value, met in targets:
        verdict = "–" if math.isnan(value) else "met" if met(value) else "missed"
        print(f"  {name}: {value:.2f} ({verdict})")
