"""What a newcomer waits for: `scripts/serve` on a fresh clone, first start (install included) and restarts.

Clones this checkout's HEAD into a temp dir (no .venv, no .labelgate there), runs
`scripts/serve --port 0` there `1 + --restarts` times and times each run from launch to the
`GraphiQL:` line, then stops it with SIGINT. Every line `scripts/serve` writes to stderr is shown
with the second it arrived, so the phases are visible: the install (scripts/setup, until the
gateway's first log line), PostgreSQL's initdb and start, SeaweedFS, migrations. LABELGATE_*
variables are ignored (embedded mode). Needs what `scripts/setup` needs (python3, pip's index).
Run: `.venv/bin/python -m bench.fresh_start [--restarts 3] [--keep]`.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 600.0


def clone(target: Path) -> str:
    """A clone of this checkout's HEAD (committed state only) at ``target``; returns the commit."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    commit = head.stdout.strip()
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(REPO), str(target)], check=True)
    subprocess.run(["git", "checkout", "-q", commit], cwd=target, check=True)
    return commit


def run_once(clone_dir: Path, label: str) -> float:
    """Seconds from launching `scripts/serve --port 0` to its `GraphiQL:` line; stops it afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELGATE_")}
    env.pop("VIRTUAL_ENV", None)
    started = time.monotonic()
    process = subprocess.Popen(
        [str(clone_dir / "scripts" / "serve"), "--port", "0", "--no-access-log"],
        cwd=clone_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()

    def pump(name: str, stream: IO[str]) -> None:
        for line in stream:
            lines.put((name, line.rstrip("\n")))
        lines.put((name, None))

    for name, stream in (("out", process.stdout), ("err", process.stderr)):
        threading.Thread(target=pump, args=(name, stream), daemon=True).start()
    print(f"--- {label}")
    ready: float | None = None
    open_streams = 2
    try:
        while ready is None and open_streams:
            name, line = lines.get(timeout=READY_TIMEOUT)
            if line is None:
                open_streams -= 1
                continue
            now = time.monotonic() - started
            print(f"  {now:6.2f} s  {line[:150]}")
            if name == "out" and line.startswith("GraphiQL: "):
                ready = now
        if ready is None:
            raise SystemExit(f"scripts/serve exited ({process.wait()}) without a GraphiQL line")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()
    clone_dir = Path(tempfile.mkdtemp(prefix="lg-fresh-")) / "labelgate"
    os.chmod(clone_dir.parent, 0o755)  # as root, the embedded PostgreSQL's account must enter it (trap T1)
    try:
        commit = clone(clone_dir)
        print(f"fresh clone of {commit[:12]} at {clone_dir}")
        first = run_once(clone_dir, "first start (creates .venv and installs, then initializes the data directory)")
        restarts = [run_once(clone_dir, f"restart {i + 1}") for i in range(args.restarts)]
    finally:
        if not args.keep:
            shutil.rmtree(clone_dir.parent, ignore_errors=True)
    print(f"\nfirst start: {first:.2f} s to the GraphiQL line")
    if restarts:
        print(
            f"restarts: median {statistics.median(restarts):.2f} s "
            f"(min {min(restarts):.2f}, max {max(restarts):.2f}, n={len(restarts)})"
        )


if __name__ == "__main__":
    main()
