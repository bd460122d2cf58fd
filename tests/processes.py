"""Which processes are still around: the embedded servers name their data dirs on their command lines."""

from __future__ import annotations

from pathlib import Path


def processes_using(path: Path) -> list[int]:
    """Pids of live processes whose command line mentions `path`."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(path).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except (OSError, ValueError):
            continue
    return pids
