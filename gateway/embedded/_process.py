"""Process helpers shared by the embedded PostgreSQL and SeaweedFS launchers."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def pdeathsig_preexec(sig: int) -> Callable[[], None]:
    """A ``preexec_fn`` making the child receive ``sig`` when the thread that started it dies.

    ``prctl`` is looked up here, in the parent, so the forked child doesn't ``dlopen`` anything
    (trap T12). PDEATHSIG fires when the parent *thread* exits, not the process: start servers
    from a thread that lives as long as they should (e.g. the main thread), not from a
    short-lived ``ThreadPoolExecutor``. CPython calls ``preexec_fn`` after ``setuid``, which
    matters because a credential change clears the setting.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return preexec


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, or a note that it is missing."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def stop_process(process: subprocess.Popen, sig: int, timeout: float) -> None:
    """Send ``sig``, wait up to ``timeout`` seconds, then SIGKILL. Does nothing if it already exited."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (zombies included)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_until(check: Callable[[], bool], process: subprocess.Popen, what: str, log: Path, timeout: float) -> None:
    """Poll ``check`` until it is true; raise with the log's tail if ``process`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        if check():
            return
        if process.poll() is not None:
            code = process.returncode
            raise RuntimeError(f"{what} exited with code {code}; tail of {log}:\n{log_tail(log)}")
        if time.monotonic() > deadline:
            stop_process(process, signal.SIGKILL, 5)
            raise RuntimeError(f"{what} was not ready after {timeout:.0f} s; tail of {log}:\n{log_tail(log)}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
