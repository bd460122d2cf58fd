"""The `labelgate` command run for real: `serve` with its embedded PostgreSQL and SeaweedFS, restarts,
`create-user`, and the startup errors an operator can hit. No mocks: real processes, real ports."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import processes_using

REPO = Path(__file__).resolve().parent.parent
# `python -m` from this checkout (cwd=REPO comes first on sys.path), not the venv's `labelgate` script: a
# venv shared by several checkouts (git worktrees) runs the code of whichever one it was installed from.
LABELGATE = [sys.executable, "-m", "gateway.cli"]
READY_TIMEOUT = 60.0


def _env() -> dict[str, str]:
    """The environment without LABELGATE_* settings, so the commands use the embedded services."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LABELGATE_")}


def _wait_no_processes(path: Path, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (pids := processes_using(path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pids


class Serve:
    """A `labelgate serve` subprocess whose stdout is read line by line (logs go to a file)."""

    def __init__(
        self,
        data_dir: Path,
        log: Path,
        *extra: str,
        access_log: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log = log
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [*LABELGATE, "serve", "--data-dir", str(data_dir), "--port", "0"]
            + ([] if access_log else ["--no-access-log"])
            + list(extra),
            stdout=subprocess.PIPE,
            stderr=log.open("ab"),
            text=True,
            cwd=REPO,
            env={**_env(), **(env or {})},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_ready(self) -> str:
        """The base URL, once `GraphiQL: <url>/graphql` is printed; records the seconds it took."""
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no GraphiQL URL after {READY_TIMEOUT} s; log:\n{self.log.read_text()}") from None
            if line is None:
                raise AssertionError(f"serve exited ({self.process.wait()}); log:\n{self.log.read_text()}")
            self.lines.append(line)
            if line.startswith("GraphiQL: "):
                self.ready_seconds = time.monotonic() - self.started
                url = line.removeprefix("GraphiQL: ")
                assert url.endswith("/graphql"), url
                return url.removesuffix("/graphql")

    def stop(self, sig: int) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=30)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A fresh dir under /tmp (pytest's tmp_path is not enterable by the postgres user, trap T1).

    Teardown ends whatever is still running for it (by pid: only processes naming this unique dir,
    i.e. the ones this test started), even when the test failed half-way.
    """
    path = Path(tempfile.mkdtemp(prefix="lgcli-"))
    try:
        yield path
    finally:
        for sig in (signal.SIGINT, signal.SIGKILL):  # SIGINT: PostgreSQL's fast shutdown; then no mercy
            for pid in processes_using(path):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            if not _wait_no_processes(path, timeout=10):
                break
        shutil.rmtree(path, ignore_errors=True)
        for leftover in path.parent.glob(path.name + ".*"):
            leftover.unlink(missing_ok=True)


@pytest.fixture
def serves() -> Iterator[list[Serve]]:
    """Every Serve started by the test; killed at teardown if still running."""
    started: list[Serve] = []
    yield started
    for serve in started:
        if serve.process.poll() is None:
            serve.process.kill()
            serve.process.wait()


def run_cli(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LABELGATE, *map(str, args)], capture_output=True, text=True, cwd=REPO, env=_env(), timeout=timeout
    )


def create_user(data_dir: Path, *args: str) -> str:
    result = run_cli("create-user", "--data-dir", data_dir, *args)
    assert result.returncode == 0, result.stderr
    keys = [line.removeprefix("API key: ") for line in result.stdout.splitlines() if line.startswith("API key: ")]
    assert len(keys) == 1 and result.stdout.strip() == f"API key: {keys[0]}", result.stdout
    return keys[0]


def viewer(base: str, key: str) -> dict:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": "{ viewer { id email organizationId isOrganizationAdmin } }"},
        headers={"Authorization": f"X-API-Key: {key}"},
        timeout=10,
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["viewer"]


def test_serve_json_logs_carry_request_ids_and_access_lines(workdir: Path, serves: list[Serve]) -> None:
    """LABELGATE_LOG_FORMAT=json: every stderr line is a JSON object; the access line (ours, not
    uvicorn's) carries the request id the response echoes, its operation name and status."""
    log = Path(f"{workdir}.log")
    serve = Serve(workdir, log, access_log=True, env={"LABELGATE_LOG_FORMAT": "json"})
    serves.append(serve)
    base = serve.wait_ready()
    [key] = [line.removeprefix("API key: ") for line in serve.lines if line.startswith("API key: ")]
    response = httpx.post(
        f"{base}/graphql",
        json={"query": "query WhoAmI { viewer { id } }"},
        headers={"Authorization": f"Bearer {key}", "X-Request-Id": "cli-json-1"},
        timeout=10,
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "cli-json-1"
    assert httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"
    assert serve.stop(signal.SIGTERM) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all({"time", "level", "logger", "message", "request_id"} <= line.keys() for line in lines)
    [access] = [line for line in lines if line["request_id"] == "cli-json-1"]
    assert access["logger"] == "labelgate.access" and access["operation"] == "WhoAmI"
    assert access["method"] == "POST" and access["path"] == "/graphql" and access["status"] == 200
    assert any(line["logger"] == "labelgate.access" and line["path"] == "/readyz" for line in lines)
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    assert any(line["message"].startswith("ready in") and line["request_id"] == "-" for line in lines)

    # --no-access-log: no access line at all
    quiet_log = Path(f"{workdir}.quiet.log")
    quiet = Serve(workdir, quiet_log, env={"LABELGATE_LOG_FORMAT": "json"})
    serves.append(quiet)
    base = quiet.wait_ready()
    assert httpx.post(
        f"{base}/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert quiet.stop(signal.SIGTERM) == 0
    quiet_lines = [json.loads(line) for line in quiet_log.read_text().splitlines()]
    assert quiet_lines and not any(line["logger"].endswith(".access") for line in quiet_lines)


def test_serve_embedded_lifecycle(workdir: Path, serves: list[Serve]) -> None:
    data = workdir  # a 0700 mkdtemp dir: serve itself makes it enterable (o+x) for the postgres account
    log = Path(f"{workdir}.log")

    # First start: services initialized, first admin created, its key printed once.
    first = Serve(data, log)
    serves.append(first)
    base = first.wait_ready()
    keys = [line.removeprefix("API key: ") for line in first.lines if line.startswith("API key: ")]
    assert len(keys) == 1, first.lines
    assert first.lines == [f"API key: {keys[0]}", f"GraphiQL: {base}/graphql"]  # stdout: nothing else
    admin_key = keys[0]
    admin = viewer(base, admin_key)
    assert admin["email"] == "admin@labelgate.local" and admin["isOrganizationAdmin"]
    version = httpx.get(f"{base}/api/label/v2/version", timeout=10).json()
    assert list(version) == ["version"] and version["version"].startswith("0.")
    assert httpx.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    assert (data / "s3-credentials.json").stat().st_mode & 0o777 == 0o600
    running = json.loads((data / "services.json").read_text())
    assert running["s3_endpoint"].startswith("127.0.0.1:")  # signed URLs name 127.0.0.1

    # create-user while serve runs: through the running PostgreSQL (services.json).
    bob_key = create_user(data, "--email", "bob@example.com", "--organization", "Acme")
    bob = viewer(base, bob_key)
    assert bob["email"] == "bob@example.com" and not bob["isOrganizationAdmin"]
    assert bob["organizationId"] != admin["organizationId"]
    duplicate = run_cli("create-user", "--data-dir", data, "--email", "BOB@example.com", "--organization", "Acme")
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr and not duplicate.stdout
    second_serve = run_cli("serve", "--data-dir", data, "--port", "0")
    assert second_serve.returncode == 1 and "in use by `labelgate serve`" in second_serve.stderr

    assert first.stop(signal.SIGTERM) == 0
    assert _wait_no_processes(data) == []
    assert not (data / "services.json").exists()

    # While stopped: create-user starts PostgreSQL alone, then stops it.
    carol_key = create_user(data, "--email", "carol@example.com", "--organization", "Acme", "--admin")
    assert _wait_no_processes(data) == []

    # Restart: same data, no new key, every key still valid.
    second = Serve(data, log)
    serves.append(second)
    base = second.wait_ready()
    assert second.lines == [f"GraphiQL: {base}/graphql"]
    restarted = json.loads((data / "services.json").read_text())
    # Same ports as before the restart (ports.json): earlier signed URLs still name the right S3.
    assert (restarted["postgres_port"], restarted["s3_endpoint"]) == (running["postgres_port"], running["s3_endpoint"])
    assert json.loads((data / "ports.json").read_text()) == {
        "postgres": running["postgres_port"],
        "s3": int(running["s3_endpoint"].rsplit(":", 1)[1]),
    }
    assert viewer(base, admin_key) == admin
    assert viewer(base, bob_key) == bob
    carol = viewer(base, carol_key)
    assert carol["email"] == "carol@example.com" and carol["isOrganizationAdmin"]
    assert carol["organizationId"] == bob["organizationId"]

    assert second.stop(signal.SIGINT) == 0
    assert _wait_no_processes(data) == []
    print(f"\nready after {first.ready_seconds:.2f} s (first start), {second.ready_seconds:.2f} s (restart)")


def test_serve_refuses_a_busy_port(workdir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--data-dir", workdir / "data", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not (workdir / "data").exists()  # failed before starting anything
    assert result.stdout == ""


def test_serve_explains_an_unreachable_data_dir(workdir: Path) -> None:
    """A parent the PostgreSQL account can't enter (as root: /root is the usual case) gives a clear error."""
    locked = workdir / "locked"
    locked.mkdir(mode=0o000)
    try:
        result = run_cli("serve", "--data-dir", locked / "data", "--port", "0")
    finally:
        locked.chmod(0o700)
    assert result.returncode == 1, result.stderr
    assert "labelgate: error:" in result.stderr and "--data-dir /srv/labelgate" in result.stderr
    assert "Traceback" not in result.stderr
    assert processes_using(workdir) == []


def test_commands_need_a_consistent_configuration() -> None:
    env = {**_env(), "LABELGATE_S3_ENDPOINT": "127.0.0.1:9"}
    result = subprocess.run(
        [*LABELGATE, "create-user", "--email", "x@example.com"], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert result.returncode == 1
    assert "LABELGATE_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    env = {**_env(), "LABELGATE_DATABASE_URL": "postgresql+asyncpg://x@127.0.0.1:9/x"}
    result = subprocess.run([*LABELGATE, "serve", "--port", "0"], capture_output=True, text=True, env=env, cwd=REPO)
    assert result.returncode == 1 and "LABELGATE_S3_ENDPOINT is not set" in result.stderr
