"""Append benchmark: assets per second through `appendManyAssets` over HTTP, as the Kili SDK sends them.

Starts its own PostgreSQL and S3 in temp dirs, creates a project, serves the gateway with uvicorn on
loopback (`bench.read_assets.serving`) and appends N assets in batches (URL content, metadata,
client ids), first with one client, then with `--concurrency` clients at once. Request bodies are
built before the clock starts, and the client is a minimal keep-alive HTTP/1.1 one (`HttpConnection`), so
the figures are the gateway's.
Run: `.venv/bin/python -m bench.append_assets [--assets 10000] [--batch 100] [--concurrency 4] [--workers 2] [--floor]`.

`--floor` also measures the raw floor in the same run: the INSERT ... ON CONFLICT DO NOTHING
RETURNING id that the gateway sends (the same SQL text), through asyncpg (one pool connection per client, one
transaction per batch), from the same request bodies (JSON decoded, the ids answered as JSON), with
no HTTP, GraphQL or ORM. The gateway's figures are then printed as a ratio to it.

`--profile` instead runs the gateway in this process under cProfile (one client, calling the ASGI
app directly) and prints where the time goes: SQL round trips (asyncpg), GraphQL, JSON, our code.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import time
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg

from bench.stack import services, serving
from gateway.auth import generate_api_key, new_api_key_row
from gateway.db import models
from gateway.db.engine import make_engine, make_session_factory
from gateway.db.ids import new_id
from gateway.settings import Settings
from resolvers.asset_append import insert_sql

APPEND = """mutation appendManyAssets($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  data: appendManyAssets(data: $data, where: $where) { id } }"""


async def create_project(database_url: str) -> tuple[str, str]:
    """An organization, a TEAM_MANAGER with an API key and an empty project: (project id, key)."""
    engine = make_engine(database_url)
    key = generate_api_key()
    async with make_session_factory(engine)() as db, db.begin():
        org = models.Organization(name="bench")
        db.add(org)
        await db.flush()
        user = models.User(organization_id=org.id, email="bench@example.com")
        db.add(user)
        await db.flush()
        db.add(new_api_key_row(user.id, key))
        project = models.Project(organization_id=org.id, title="append bench")
        db.add(project)
        await db.flush()
        db.add(models.ProjectMember(project_id=project.id, user_id=user.id, role="TEAM_MANAGER"))
    await engine.dispose()
    return project.id, key


def bodies(project_id: str, start: int, assets: int, batch: int) -> list[bytes]:
    """Request bodies as the SDK builds them: every array given, client cuids, metadata as JSON strings."""
    out = []
    for offset in range(start, start + assets, batch):
        n = min(batch, start + assets - offset)
        data = {
            "contentArray": [f"https://cdn.example.com/images/{offset + i}.jpg" for i in range(n)],
            "externalIDArray": [f"img-{offset + i:07d}" for i in range(n)],
            "idArray": [new_id() for _ in range(n)],
            "isHoneypotArray": [False] * n,
            "jsonContentArray": [""] * n,
            "jsonMetadataArray": [
                json.dumps({"camera": f"cam{(offset + i) % 4}", "frame": offset + i}) for i in range(n)
            ],
        }
        out.append(json.dumps({"query": APPEND, "variables": {"data": data, "where": {"id": project_id}}}).encode())
    return out


class HttpConnection:
    """One keep-alive HTTP/1.1 connection that POSTs GraphQL bodies and reads answers of a known
    Content-Length: far less client CPU per request than httpx (about 0.3 ms against 2-3 ms for a batch
    of 100), which matters because the client shares the machine's cores with the gateway and PostgreSQL."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = (
            f"POST /graphql HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Authorization: X-API-Key: {key}\r\nContent-Length: "
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> dict:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head[9:12]
        length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        answer = json.loads(await self.reader.readexactly(length))
        assert status == b"200", (status, answer)
        return answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def send_all(connection: HttpConnection, payloads: list[bytes]) -> int:
    appended = 0
    for body in payloads:
        answer = await connection.post(body)
        assert not answer.get("errors"), answer["errors"]
        appended += len(answer["data"]["data"])
    return appended


async def run(url: str, key: str, payloads: list[bytes], concurrency: int) -> tuple[int, float]:
    """Sends the payloads over `concurrency` clients (each its own connection); (assets, seconds)."""
    connections = [HttpConnection(url, key) for _ in range(concurrency)]
    try:
        began = time.perf_counter()
        counts = await asyncio.gather(*(send_all(c, payloads[i::concurrency]) for i, c in enumerate(connections)))
        return sum(counts), time.perf_counter() - began
    finally:
        for connection in connections:
            await connection.close()


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) used so far by this process (the client) and its descendants (the
    gateway, PostgreSQL and its backends, S3), by kind. Read from /proc, so Linux only."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = defaultdict(list)
    used: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        children[int(fields[1])].append(int(entry))
        used[int(entry)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    totals: dict[str, float] = defaultdict(float)
    pending = [os.getpid()]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        name, seconds = used.get(pid, ("", 0.0))
        if pid == os.getpid():
            kind = "client"
        elif name.startswith("postgres"):
            kind = "postgres"
        elif name.startswith("weed"):
            kind = "s3"
        else:
            kind = "gateway"
        totals[kind] += seconds
    return totals


def report(name: str, assets: int, seconds: float, batch: int, cpu: dict[str, float]) -> None:
    batches = max(1, -(-assets // batch))
    per_batch = seconds / batches * 1000
    rate = assets / seconds
    print(f"{name:<24} {assets:>6} assets in {seconds:6.2f} s = {rate:6.0f} assets/s ({per_batch:5.1f} ms/batch)")
    spent = ", ".join(f"{kind} {cpu.get(kind, 0.0) / batches * 1000:.1f}" for kind in ("gateway", "postgres", "client"))
    print(f"{'':<24} CPU ms per batch: {spent}")


async def timed(url: str, key: str, payloads: list[bytes], concurrency: int) -> tuple[int, float, dict[str, float]]:
    before = cpu_seconds()
    assets, seconds = await run(url, key, payloads, concurrency)
    after = cpu_seconds()
    return assets, seconds, {kind: after[kind] - before.get(kind, 0.0) for kind in after}


FLOOR_COLUMNS = ("id", "external_id", "content", "json_metadata")


async def floor_send_all(pool: asyncpg.Pool, payloads: list[bytes]) -> int:
    """What the gateway must do at the least for each body: decode it, run the INSERT it runs (its very
    SQL text, `resolvers.asset_append.insert_sql`) in a transaction, answer the ids as JSON."""
    appended = 0
    sql = insert_sql(FLOOR_COLUMNS)
    async with pool.acquire() as connection:
        for body in payloads:
            request = json.loads(body)
            data, project_id = request["variables"]["data"], request["variables"]["where"]["id"]
            arrays = (data["idArray"], data["externalIDArray"], data["contentArray"], data["jsonMetadataArray"])
            async with connection.transaction():
                rows = await connection.fetch(sql, project_id, datetime.now(UTC), *arrays)
            answer = json.dumps({"data": {"data": [{"id": row[0]} for row in rows]}})
            appended += len(json.loads(answer)["data"]["data"])
    return appended


async def floor_run(database_url: str, payloads: list[bytes], concurrency: int) -> tuple[int, float, dict[str, float]]:
    """The floor over `concurrency` pool connections: (assets, seconds, CPU by kind). CPU is read
    before the pool closes (a backend that exits takes its CPU time out of /proc)."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    async with asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency) as pool:
        before = cpu_seconds()
        began = time.perf_counter()
        counts = await asyncio.gather(*(floor_send_all(pool, payloads[i::concurrency]) for i in range(concurrency)))
        seconds = time.perf_counter() - began
        after = cpu_seconds()
        return sum(counts), seconds, {kind: after[kind] - before.get(kind, 0.0) for kind in after}


async def measure(url: str, key: str, project_id: str, args: argparse.Namespace, database_url: str) -> None:
    warm = bodies(project_id, 0, 5 * args.batch, args.batch)
    await run(url, key, warm, 1)
    start = len(warm) * args.batch
    for concurrency in sorted({1, 2, args.concurrency}):
        payloads = bodies(project_id, start, args.assets, args.batch)
        start += args.assets
        assets, seconds, cpu = await timed(url, key, payloads, concurrency)
        name = "sequential, 1 client" if concurrency == 1 else f"{concurrency} concurrent clients"
        report(name, assets, seconds, args.batch, cpu)
        if args.floor:
            payloads = bodies(project_id, start, args.assets, args.batch)
            start += args.assets
            floor_assets, floor_seconds, cpu = await floor_run(database_url, payloads, concurrency)
            report(f"  floor, {concurrency} client(s)", floor_assets, floor_seconds, args.batch, cpu)
            ratio = (assets / seconds) / (floor_assets / floor_seconds)
            print(f"{'':<24} gateway / floor = {ratio:.2f}x")


async def call_asgi(app, key: str, body: bytes) -> dict:
    """One POST /graphql straight into the ASGI app (no HTTP client or server in the profile)."""
    headers = [(b"content-type", b"application/json"), (b"authorization", f"X-API-Key: {key}".encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    sent = False
    chunks: list[bytes] = []
    answered = asyncio.Event()

    async def receive() -> dict:
        # The body, then (as a server does) a disconnect only once the response is out: an early
        # disconnect would make the deadline middleware cancel the request.
        nonlocal sent
        if sent:
            await answered.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    await app(scope, receive, send)
    answer = json.loads(b"".join(chunks))
    assert not answer.get("errors"), answer["errors"]
    return answer


async def profile(settings: Settings, key: str, project_id: str, args: argparse.Namespace) -> None:
    from gateway.app import create_app  # noqa: PLC0415  (only the profile runs the app in this process)

    app = create_app(settings)
    for body in bodies(project_id, 0, 5 * args.batch, args.batch):
        await call_asgi(app, key, body)
    payloads = bodies(project_id, 5 * args.batch, args.assets, args.batch)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for body in payloads:
        await call_asgi(app, key, body)
    profiler.disable()
    elapsed = time.perf_counter() - began
    per_batch = elapsed / len(payloads) * 1000
    print(f"in-process, profiled (so slower): {args.assets / elapsed:.0f} assets/s, {per_batch:.1f} ms/batch")
    await app.state.services.engine.dispose()
    stats = pstats.Stats(profiler).sort_stats(args.sort)
    stats.print_stats(args.lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=10000, help="assets per measurement")
    parser.add_argument("--batch", type=int, default=100, help="assets per appendManyAssets call")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients of the last measurement")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--floor", action="store_true", help="also measure the raw asyncpg floor, in the same run")
    parser.add_argument("--profile", action="store_true", help="profile the gateway in-process instead")
    parser.add_argument("--sort", default="cumulative", help="pstats order of the profile (cumulative, tottime)")
    parser.add_argument("--lines", type=int, default=45, help="functions the profile shows")
    args = parser.parse_args()
    with services() as settings:
        project_id, key = asyncio.run(create_project(settings.database_url))
        if args.profile:
            asyncio.run(profile(settings, key, project_id, args))
            return
        print(f"appendManyAssets, batches of {args.batch}, gateway with {args.workers} uvicorn worker(s)")
        with serving(settings, workers=args.workers) as url:
            asyncio.run(measure(url, key, project_id, args, settings.database_url))


if __name__ == "__main__":
    main()
