"""What the processes we started use, read from /proc (Linux only): CPU time of a process tree,
resident memory, and which of our children serves a port."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _table() -> tuple[dict[int, list[int]], dict[int, tuple[str, float]], set[int]]:
    """Children of every process, each process's (name, CPU seconds so far: its own and that of the
    children it has reaped, so a tree's total does not drop when a PostgreSQL backend exits), and the
    zombies (exited, not yet reaped: their CPU time is in neither place)."""
    children: dict[int, list[int]] = defaultdict(list)
    used: dict[int, tuple[str, float]] = {}
    zombies: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        children[int(fields[1])].append(int(entry))
        used[int(entry)] = (name, sum(int(f) for f in fields[11:15]) / _TICK)
        if fields[0] == "Z":
            zombies.add(int(entry))
    return children, used, zombies


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds used so far by `root` and its descendants, live or reaped (read again
    while one of them is a zombie, for at most a second)."""
    for _ in range(100):
        children, used, zombies = _table()
        total, pending, seen = 0.0, [root], []
        while pending:
            pid = pending.pop()
            pending += children.get(pid, [])
            total += used.get(pid, ("", 0.0))[1]
            seen.append(pid)
        if zombies.isdisjoint(seen):
            break
        time.sleep(0.01)
    return total


def child_named(prefix: str) -> int:
    """The pid of our direct child whose name starts with `prefix` (e.g. the postmaster)."""
    children, used, _ = _table()
    for pid in children.get(os.getpid(), []):
        if used.get(pid, ("", 0.0))[0].startswith(prefix):
            return pid
    raise LookupError(f"no child process named {prefix}*")


def child_serving(port: int) -> int:
    """The pid of our direct child started with `--port <port>` (the gateway `bench.stack.serving`
    started: uvicorn itself with one worker, the supervisor of the workers with more)."""
    children, _, _ = _table()
    for pid in children.get(os.getpid(), []):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a == b"--port" and b == str(port).encode() for a, b in zip(argv, argv[1:], strict=False)):
            return pid
    raise LookupError(f"no child process serving port {port}")


def rss_mib(pid: int) -> float:
    """Resident set size of one process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
