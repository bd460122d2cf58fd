"""The stack every benchmark runs on: real PostgreSQL and S3 in temp dirs, and the gateway in a
process of its own, reached over HTTP as operators run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gateway.db.migrate import upgrade
from gateway.embedded import ensure_bucket, free_port, start_postgres, start_seaweedfs
from gateway.settings import Settings


@contextmanager
def services() -> Iterator[Settings]:
    """PostgreSQL (migrated) and S3 (bucket made) in temp dirs, removed afterwards; their settings."""
    with services_and_log() as (settings, _log):
        yield settings


@contextmanager
def services_and_log() -> Iterator[tuple[Settings, Path]]:
    """`services()`, plus the path of PostgreSQL's log (where auto_explain writes plans)."""
    pg_dir, s3_dir = Path(tempfile.mkdtemp(prefix="lg-bpg-")), Path(tempfile.mkdtemp(prefix="lg-bs3-"))
    postgres = start_postgres(pg_dir, durable=False)
    weed = start_seaweedfs(s3_dir, access_key="bench", secret_key="bench-secret")
    try:
        postgres.create_database("bench")
        database_url = postgres.url("bench")
        upgrade(database_url)
        ensure_bucket(weed.endpoint, "bench", "bench-secret", "bench")
        settings = Settings(
            database_url=database_url,
            s3_endpoint=weed.endpoint,
            s3_access_key="bench",
            s3_secret_key="bench-secret",
            s3_bucket="bench",
        )
        yield settings, pg_dir / "postgres.log"
    finally:
        weed.stop()
        postgres.stop()
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(s3_dir, ignore_errors=True)


@contextmanager
def serving(settings: Settings, workers: int = 1) -> Iterator[str]:
    """The gateway in a process of its own (so the client does not share its GIL), as operators run it;
    `workers` > 1 runs that many uvicorn worker processes behind the port (see gateway.workers)."""
    port = free_port()
    env = {
        **os.environ,
        **{
            f"LABELGATE_{k.upper()}": str(v)
            for k, v in settings.model_dump().items()
            if k.startswith(("database_url", "s3_")) and v is not None
        },
        "LABELGATE_RATE_LIMIT_PER_MINUTE": "0",  # benchmarks measure the gateway, not its rate limit
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn" if workers == 1 else "gateway.workers",
            "--factory",
            "gateway.app:app_from_env",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *(["--workers", str(workers)] if workers > 1 else []),
        ],
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the gateway did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)
