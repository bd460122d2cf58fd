"""A live gateway over HTTP (uvicorn in a thread) and the Kili SDK driven in its own venv.

Two SDK generations are driven, each from a venv of its own (scripts/setup test creates both):
`.venv-kili` holds today's kili (26.2.4), `.venv-kili-legacy` the 2.159–2.164 generation (2.164.0)
that teams still pin. Both run the same driver script (tests/kili_driver.py).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from gateway.app import create_app
from gateway.embedded import free_port
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KILI_PYTHON = ROOT / ".venv-kili" / "bin" / "python"
KILI_LEGACY_PYTHON = ROOT / ".venv-kili-legacy" / "bin" / "python"
# Longest an SDK call may take: kili 2.164 retries some checks forever (see test_kili_sdk_legacy.py),
# which must fail the test, not hang the suite.
CALL_TIMEOUT_SECONDS = 120


class LiveGateway:
    """The app served by uvicorn on a free loopback port, in a thread with its own event loop."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveGateway:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live gateway did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class KiliError(Exception):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(f"{answer['type']}: {answer['message']}")
        self.type = answer["type"]
        self.message = answer["message"]
        self.traceback = answer.get("traceback", "")  # the SDK's own, for a failing test's report


class KiliDriver:
    """One long-lived SDK process (its import costs seconds) run by `python`, the interpreter of the
    venv holding the SDK generation to drive; a named Kili client per API key."""

    def __init__(self, python: Path = KILI_PYTHON) -> None:
        if not python.exists():
            raise RuntimeError(f"{python} is missing: run scripts/setup test")
        self.home = tempfile.mkdtemp(prefix="lg-kili-home-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KILI_")}
        env["HOME"] = self.home  # the SDK caches the introspected schema under ~/.cache/kili
        self.process = subprocess.Popen(
            [str(python), str(ROOT / "tests" / "kili_driver.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def _send(self, command: dict[str, Any]) -> Any:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        # One answer line per command, so nothing is buffered ahead of it: select on the pipe is exact.
        ready, _, _ = select.select([self.process.stdout], [], [], CALL_TIMEOUT_SECONDS)
        if not ready:
            self.process.kill()
            raise RuntimeError(
                f"the Kili SDK did not answer {command.get('method', command['op'])} within "
                f"{CALL_TIMEOUT_SECONDS} s (process killed)"
            )
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the Kili driver exited")
        answer = json.loads(line)
        if not answer["ok"]:
            raise KiliError(answer)
        return answer["result"]

    def connect(self, name: str, api_key: str, endpoint: str, *, domain: bool = False) -> KiliClient:
        """The SDK's legacy client (`kili.client.Kili`), or with `domain` its namespaced domain client."""
        command = {"op": "connect", "name": name, "api_key": api_key, "api_endpoint": endpoint, "domain": domain}
        self._send(command)
        return KiliClient(self, name)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


class KiliClient:
    """`client.assets(project_id=...)` runs `Kili.assets(...)` in the SDK process, and
    `client.issues.list(...)` runs `kili.issues.list(...)` (the domain client's namespaces)."""

    def __init__(self, driver: KiliDriver, name: str) -> None:
        self._driver = driver
        self._name = name

    def __getattr__(self, attribute: str) -> KiliMethod:
        return KiliMethod(self._driver, self._name, attribute)


class KiliMethod:
    """A method (or namespace) of a client in the SDK process; calling it runs it there."""

    def __init__(self, driver: KiliDriver, name: str, path: str) -> None:
        self._driver = driver
        self._name = name
        self._path = path

    def __getattr__(self, attribute: str) -> KiliMethod:
        return KiliMethod(self._driver, self._name, f"{self._path}.{attribute}")

    def __call__(self, **kwargs: Any) -> Any:
        return self._driver._send({"op": "call", "name": self._name, "method": self._path, "kwargs": kwargs})
