"""The run: services, seed, systems, answer check, warm-up, interleaved rounds, memory, report."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import signal
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import asyncpg
import httpx

from bench.compare import answers, load, report
from bench.compare.proc import child_named, load_average, rss_mib, tree_cpu_seconds
from bench.compare.seed import Seeded, seed
from bench.compare.servers import Server, floor, labelgate, postgraphile
from bench.compare.workloads import APPEND_BATCH, W3_METADATA, WORKLOADS, append_body, read_bodies
from bench.stack import services
from gateway.settings import Settings

CONCURRENCIES = (1, 8)
W2_IDS = 1000  # W2 cycles through this many asset ids
CHECK_W2_IDS = 20


class Mismatch(SystemExit):
    """Two systems answered a workload differently: the run stops before any timing."""


@dataclass
class Measurement:
    result: load.Result
    server_cpu_ms: float  # per request, the system's process tree
    postgres_cpu_ms: float  # per request, every PostgreSQL process


@dataclass
class Run:
    args: argparse.Namespace
    dsn: str
    seeded: Seeded
    systems: list[Server]
    postgres_pid: int
    results: dict[tuple[str, str, int], list[Measurement]] = field(default_factory=dict)
    loads: list[tuple[str, str]] = field(default_factory=list)
    memory: tuple[float, float, int] | None = None  # RSS MiB after 100, after N; N


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(args: argparse.Namespace) -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # a kill unwinds like Ctrl-C: every process is stopped
    load.wrk_path()
    began = time.perf_counter()
    with services() as settings:
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
        labels_max = max(0, round(2 * args.labels / args.assets)) if args.assets else 0
        seeded = asyncio.run(seed(dsn, args.assets, labels_max, args.users))
        print(
            f"seeded {seeded.assets:,} assets, {seeded.labels:,} labels, {args.users} users with COPY "
            f"in {seeded.seconds:.1f} s (VACUUM ANALYZE included)",
            flush=True,
        )
        with ExitStack() as stack:
            systems = [
                stack.enter_context(labelgate(settings, 1)),
                stack.enter_context(labelgate(settings, 2)),
                stack.enter_context(postgraphile(dsn)),
                stack.enter_context(floor(dsn)),
            ]
            run = Run(args, dsn, seeded, systems, child_named("postgres"))
            check_answers(run)
            print(f"answers equal in every system (W1 page, W2 on {CHECK_W2_IDS} ids, W3 count, W4 rows)", flush=True)
            run.loads.append(("before", load_average()))
            warm_up(run)
            for index in range(args.rounds):
                measure_round(run, index)
                run.loads.append((f"after round {index + 1}", load_average()))
        # The measured systems are stopped; memory is read from a fresh worker.
        if args.memory_requests:
            run.memory = measure_memory(settings, seeded, args.memory_requests)
            run.loads.append(("after memory", load_average()))
        report.print_report(run)
    print(f"total {time.perf_counter() - began:.0f} s")


def _post(url: str, payload: str, key: str) -> dict:
    response = httpx.post(
        f"{url}/graphql",
        content=payload,
        headers={"Content-Type": "application/json", "Authorization": f"X-API-Key: {key}"},
        timeout=120,
    )
    return response.json()


def check_answers(run: Run) -> None:
    """Every read workload once from every system, W4 once from each writer; any difference stops."""
    seeded = run.seeded
    ids = seeded.asset_ids[:: max(1, len(seeded.asset_ids) // CHECK_W2_IDS)][:CHECK_W2_IDS]
    reference = run.systems[0]
    for workload in ("W1", "W2", "W3"):
        expected = None
        for system in run.systems:
            bodies = read_bodies(workload, system.postgraphile, seeded.project_id, ids)
            got = [answers.normalise(workload, system.postgraphile, _post(system.url, b, seeded.key)) for b in bodies]
            if expected is None:
                expected = got
                _sanity(run, workload, got)
                continue
            difference = answers.first_difference(expected, got)
            if difference:
                raise Mismatch(f"{workload}: {system.name} answers differently from {reference.name}: {difference}")
    asyncio.run(_check_appends(run))


def _sanity(run: Run, workload: str, got: list) -> None:
    """The reference answers are not trivially empty, and W3 agrees with a count of our own."""
    if workload == "W1" and (len(got[0]) != 100 or not any(a["labels"] for a in got[0])):
        raise Mismatch(f"W1: expected 100 assets with labels, got {len(got[0])}")
    if workload == "W2" and any(a is None for a in got):
        raise Mismatch("W2: an existing asset was not found")
    if workload == "W3":
        direct = asyncio.run(_count(run.dsn, run.seeded.project_id))
        if got[0] != direct or direct == 0:
            raise Mismatch(f"W3: countAssets says {got[0]}, SELECT count(*) says {direct}")


async def _count(dsn: str, project_id: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        sql = "SELECT count(*) FROM asset WHERE project_id = $1 AND json_metadata @> $2::jsonb"
        return await conn.fetchval(sql, project_id, json.dumps(W3_METADATA))
    finally:
        await conn.close()


ROW_COLUMNS = (
    "project_id, external_id, content, storage_key, mime_type, size_bytes, width, height, json_metadata::text, "
    "json_content, status, priority, is_honeypot, is_used_for_consensus, skipped, session_id, timestamp, sensor, tags"
)


async def _check_appends(run: Run) -> None:
    """One appendManyAssets per writer: the ids it returns are the ids sent, and the rows it wrote are
    the same as labelgate's once the per-system prefix is taken out."""
    rows_of: dict[str, list[tuple]] = {}
    conn = await asyncpg.connect(run.dsn)
    try:
        for system in run.systems:
            if system.postgraphile:
                continue
            prefix = "check" + "".join(ch for ch in system.name if ch.isalnum())
            answer = await asyncio.to_thread(
                _post, system.url, append_body(run.seeded.append_project_id, prefix), run.seeded.key
            )
            ids = answers.normalise("W4", False, answer)
            if ids != [f"w4{prefix}-{k}" for k in range(APPEND_BATCH)]:
                raise Mismatch(f"W4: {system.name} returned ids {ids[:3]}...")
            rows = await conn.fetch(f"SELECT id, {ROW_COLUMNS} FROM asset WHERE id = ANY($1) ORDER BY id", ids)
            rows_of[system.name] = [tuple(str(v).replace(prefix, "*") for v in r) for r in rows]
        expected_name, expected = next(iter(rows_of.items()))
        for name, rows in rows_of.items():
            if len(rows) != APPEND_BATCH:
                raise Mismatch(f"W4: {name} wrote {len(rows)} rows, not {APPEND_BATCH}")
            difference = answers.first_difference(expected, rows)
            if difference:
                raise Mismatch(f"W4: {name} wrote other rows than {expected_name}: {difference}")
        await _empty_append_project(conn, run.seeded.append_project_id)
    finally:
        await conn.close()


async def _empty_append_project(conn: asyncpg.Connection, project_id: str) -> None:
    """Removes W4's assets and vacuums, so every system appends into the same table."""
    await conn.execute("DELETE FROM asset WHERE project_id = $1", project_id)
    await conn.execute("VACUUM asset")


def empty_append_project(run: Run) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(run.dsn)
        try:
            await _empty_append_project(conn, run.seeded.append_project_id)
        finally:
            await conn.close()

    asyncio.run(go())


def script_for(run: Run, system: Server, workload: str, tag: str) -> str:
    seeded = run.seeded
    if workload == "W4":
        return load.append_script(seeded.key, seeded.append_project_id, tag)
    ids = seeded.asset_ids[:: max(1, len(seeded.asset_ids) // W2_IDS)][:W2_IDS]
    return load.read_script(seeded.key, read_bodies(workload, system.postgraphile, seeded.project_id, ids))


def measure(run: Run, system: Server, workload: str, connections: int, seconds: float, tag: str) -> Measurement:
    script = script_for(run, system, workload, tag)
    server_before, pg_before = tree_cpu_seconds(system.pid), tree_cpu_seconds(run.postgres_pid)
    result = load.run_wrk(system.url, script, connections, seconds)
    server_cpu = tree_cpu_seconds(system.pid) - server_before
    pg_cpu = tree_cpu_seconds(run.postgres_pid) - pg_before
    if result.bad or result.socket_errors or not result.requests:
        raise SystemExit(
            f"{system.name} {workload} c={connections}: {result.requests} requests, {result.bad} error answers, "
            f"{result.socket_errors} socket errors: a system that fails is not measured"
        )
    per = 1000 / result.requests
    return Measurement(result, server_cpu * per, pg_cpu * per)


def warm_up(run: Run) -> None:
    """A few seconds of each read workload on each system (JIT, caches, pools), unrecorded."""
    if run.args.warmup <= 0:
        return
    for system in run.systems:
        for workload in ("W1", "W2", "W3"):
            measure(run, system, workload, 8, run.args.warmup, "warm")
    print(f"warmed up ({run.args.warmup:g} s per system and read workload at c=8)", flush=True)


def measure_round(run: Run, index: int) -> None:
    """Every workload and concurrency, and within each every system, in an order that rotates by
    round, so that noise and drift hit all systems alike."""
    shift = index % len(run.systems)
    order = run.systems[shift:] + run.systems[:shift]
    for workload in WORKLOADS:
        for connections in CONCURRENCIES:
            for system in order:
                if workload.writes and system.postgraphile:
                    continue
                tag = f"r{index}{''.join(ch for ch in system.name if ch.isalnum())}c{connections}"
                measurement = measure(run, system, workload.name, connections, run.args.duration, tag)
                run.results.setdefault((system.name, workload.name, connections), []).append(measurement)
                r = measurement.result
                print(
                    f"round {index + 1} {workload.name} c={connections} {system.name:<14} p50 {r.p50_ms:8.2f} ms  "
                    f"p99 {r.p99_ms:8.2f} ms  {r.rps:8.1f} req/s",
                    flush=True,
                )
                if workload.writes:
                    empty_append_project(run)


def measure_memory(settings: Settings, seeded: Seeded, requests: int) -> tuple[float, float, int]:
    """RSS of a fresh 1-worker labelgate after 100 W1 requests and after `requests` (one keep-alive
    connection, sequential)."""
    body = read_bodies("W1", False, seeded.project_id, [])[0].encode()
    headers = {"Content-Type": "application/json", "Authorization": f"X-API-Key: {seeded.key}"}
    with labelgate(settings, 1) as server:
        parts = urlsplit(server.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        began, after_100 = time.perf_counter(), 0.0
        for n in range(1, requests + 1):
            conn.request("POST", "/graphql", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200 or b'"errors"' in payload:
                raise SystemExit(f"memory run: request {n} failed: {payload[:500]!r}")
            if n == 100:
                after_100 = rss_mib(server.pid)
        conn.close()
        after_all = rss_mib(server.pid)
    print(f"memory: {requests} W1 requests in {time.perf_counter() - began:.0f} s", flush=True)
    return after_100, after_all, requests


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
