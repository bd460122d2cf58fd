"""The embedded services of one data directory: what `labelgate serve` starts when nothing is configured.

Layout of the data directory ``D`` (``--data-dir``, default ``LABELGATE_DATA_DIR`` or ``./.labelgate``)::

    D/postgres/              PostgreSQL (durable: fsync on), data in D/postgres/data
    D/s3/                    SeaweedFS (`weed mini`), objects in D/s3/data
    D/s3-credentials.json    S3 access and secret key, generated once (mode 0600)
    D/services.json          written by a running `serve`: its pid and the services' addresses
    D/ports.json             the ports the services got last time, preferred on the next start
    D/lock                   flock held by whichever labelgate process owns the services

Only one process owns a data directory at a time (the flock). Short commands such as
`create-user` either reach the PostgreSQL of the running `serve` (found in services.json) or, when
none runs, start PostgreSQL alone, do their work and stop it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pwd
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gateway.embedded import PostgresServer, S3Server, ensure_bucket, start_postgres, start_seaweedfs
from gateway.embedded._process import pid_alive
from gateway.embedded.remembered_ports import PortMemory

log = logging.getLogger("labelgate.embedded")

#: The ports tried on a data directory's first start; later starts prefer the ones remembered in ports.json.
PG_PREFERRED_PORT = 55432
S3_PREFERRED_PORT = 8333
DATABASE_NAME = "labelgate"
S3_ACCESS_KEY = "labelgate"
_ATTACH_TIMEOUT = 30.0
_CHOOSE_ANOTHER = (
    "Choose another data directory, e.g. `--data-dir /srv/labelgate` or `--data-dir /tmp/labelgate` "
    "(or set LABELGATE_DATA_DIR)."
)
_STALE_POSTMASTER_TIMEOUT = 20.0

#: How PostgreSQL ("could not bind ... Address already in use") and weed ("port 8333 ... is not
#: available", "bind: address already in use") report a port taken by someone else.
_PORT_TAKEN = ("already in use", "is not available", "could not bind")

T = TypeVar("T")


class EmbeddedError(RuntimeError):
    """A problem the operator can fix (a busy or unreachable data directory); shown without a traceback."""


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str


@dataclass
class RunningServices:
    """The embedded PostgreSQL and SeaweedFS of a data directory, started by :func:`start_services`."""

    data_dir: Path
    postgres: PostgresServer
    s3: S3Server
    credentials: S3Credentials

    @property
    def database_url(self) -> str:
        return self.postgres.url(DATABASE_NAME)


# --- the data directory -------------------------------------------------------------------------


def _postgres_user() -> pwd.struct_passwd | None:
    """The account the embedded PostgreSQL runs as when we are root (the same rule as gateway.embedded)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return None


def _can_enter(st: os.stat_result, user: pwd.struct_passwd) -> bool:
    if st.st_uid == user.pw_uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == user.pw_gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the data directory and make sure the PostgreSQL account can reach it.

    PostgreSQL refuses to run as root, so as root it runs as ``postgres`` (or ``nobody``), which must
    be able to enter every directory from ``/`` down to ``D/postgres``. The data directory itself is
    ours, so it gets ``o+x`` (enter, not list) if it lacks it; a parent that blocks the way is the
    operator's to change, and we say so instead of touching it.
    """
    data_dir = data_dir.expanduser().absolute()
    user = _postgres_user()
    try:
        for parent in reversed(data_dir.parents):
            if not parent.exists():
                break
            if user is not None and not _can_enter(parent.stat(), user):
                mode = stat.filemode(parent.stat().st_mode)
                raise EmbeddedError(
                    f"the embedded PostgreSQL runs as user {user.pw_name!r} (PostgreSQL refuses to run as root), "
                    f"and that user cannot enter {parent} (mode {mode}), a parent of the data directory {data_dir}. "
                    f"{_CHOOSE_ANOTHER}"
                )
        data_dir.mkdir(parents=True, exist_ok=True)
        st = data_dir.stat()
    except PermissionError as exc:
        raise EmbeddedError(
            f"cannot create or enter the data directory {data_dir}: {exc.strerror}. {_CHOOSE_ANOTHER}"
        ) from None
    if user is not None and not _can_enter(st, user):
        if st.st_uid != os.geteuid():
            raise EmbeddedError(f"user {user.pw_name!r} cannot enter the data directory {data_dir}: chmod o+x it")
        os.chmod(data_dir, stat.S_IMODE(st.st_mode) | stat.S_IXOTH)
        log.info("made %s enterable (o+x) for the PostgreSQL account %r", data_dir, user.pw_name)
    return data_dir


class DataDirLock:
    """An exclusive ``flock`` on ``D/lock``. The kernel drops it when the process dies, so it never goes stale."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "lock"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def load_or_create_credentials(data_dir: Path) -> S3Credentials:
    """The S3 keys of this data directory: generated on first use, then read back (file mode 0600)."""
    path = data_dir / "s3-credentials.json"
    try:
        data = json.loads(path.read_text())
        return S3Credentials(data["access_key"], data["secret_key"])
    except FileNotFoundError:
        pass
    credentials = S3Credentials(S3_ACCESS_KEY, secrets.token_urlsafe(30))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"access_key": credentials.access_key, "secret_key": credentials.secret_key}, out)
    return credentials


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
    os.replace(tmp, path)


def write_services_file(services: RunningServices, extra: dict[str, Any] | None = None) -> None:
    """Record where the services listen, for `create-user` & co. while `serve` runs (no secrets in it)."""
    _write_json_atomically(
        services.data_dir / "services.json",
        {
            "pid": os.getpid(),
            "database_url": services.database_url,
            "postgres_port": services.postgres.port,
            "s3_endpoint": services.s3.endpoint,
            **(extra or {}),
        },
    )


def _read_services_file(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / "services.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and pid_alive(int(data.get("pid", 0))) else None


def _wait_for_stale_postmaster(pg_base: Path) -> None:
    """After a killed `serve`, its PostgreSQL gets SIGINT (PDEATHSIG) and may still be shutting down."""
    try:
        first = (pg_base / "data" / "postmaster.pid").read_text().splitlines()[0].strip()
    except (OSError, IndexError):
        return
    if not first.isdigit():
        return
    deadline = time.monotonic() + _STALE_POSTMASTER_TIMEOUT
    while pid_alive(int(first)):
        if time.monotonic() > deadline:
            raise EmbeddedError(
                f"a PostgreSQL (pid {first}) still runs on {pg_base / 'data'} although no labelgate owns it; stop it"
            )
        time.sleep(0.05)


# --- starting and stopping ----------------------------------------------------------------------


class _KeeperThread(threading.Thread):
    """Runs ``start`` and then stays alive until released.

    The embedded servers get PDEATHSIG when the *thread* that started them ends (trap T12), so a
    server started off the main thread needs its thread to live as long as the server.
    """

    def __init__(self, name: str, start: Callable[[], T]) -> None:
        super().__init__(name=name, daemon=True)
        self._start_fn = start
        self.result: Any = None
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self._release = threading.Event()

    def run(self) -> None:
        try:
            self.result = self._start_fn()
        except BaseException as exc:  # handed to the main thread
            self.error = exc
        finally:
            self.ready.set()
        self._release.wait()

    def release(self) -> None:
        self._release.set()
        self.join(timeout=5)


def _with_port_fallback(start: Callable[[int | None], T], preferred: int, what: str) -> T:
    """``start(preferred)``; if a port was taken between the free-port check and the server's bind
    (another labelgate starting at the same moment), again on ports the OS picks."""
    attempts = (preferred, None, None)
    for attempt, port in enumerate(attempts):
        try:
            return start(port)
        except RuntimeError as exc:
            text = str(exc).lower()
            if not any(sign in text for sign in _PORT_TAKEN) or attempt == len(attempts) - 1:
                raise
            log.warning("%s lost a race for a port (taken while it started); retrying on free ports", what)
    raise AssertionError("unreachable")


def _start_postgres(data_dir: Path, ports: PortMemory) -> PostgresServer:
    pg_base = data_dir / "postgres"
    _wait_for_stale_postmaster(pg_base)
    first = not (pg_base / "data" / "PG_VERSION").exists()
    started = time.monotonic()
    postgres = _with_port_fallback(
        lambda port: start_postgres(pg_base, port, durable=True),
        ports.preferred("postgres", PG_PREFERRED_PORT),
        "PostgreSQL",
    )
    ports.record("postgres", "PostgreSQL", PG_PREFERRED_PORT, postgres.port)
    try:
        postgres.create_database(DATABASE_NAME)
    except BaseException:
        postgres.stop()
        raise
    log.info(
        "PostgreSQL %s on 127.0.0.1:%d in %.2f s (data in %s)",
        "initialized and started" if first else "started",
        postgres.port,
        time.monotonic() - started,
        pg_base / "data",
    )
    return postgres


def _start_s3(data_dir: Path, credentials: S3Credentials, bucket: str, ports: PortMemory) -> S3Server:
    started = time.monotonic()
    s3 = _with_port_fallback(
        lambda port: start_seaweedfs(
            data_dir / "s3", port, access_key=credentials.access_key, secret_key=credentials.secret_key
        ),
        ports.preferred("s3", S3_PREFERRED_PORT),
        "SeaweedFS",
    )
    ports.record("s3", "SeaweedFS S3", S3_PREFERRED_PORT, s3.port)
    try:
        ensure_bucket(s3.endpoint, credentials.access_key, credentials.secret_key, bucket)
    except BaseException:
        s3.stop()
        raise
    elapsed = time.monotonic() - started
    log.info("SeaweedFS S3 on %s in %.2f s (bucket %r, data in %s)", s3.endpoint, elapsed, bucket, data_dir / "s3")
    return s3


@contextlib.contextmanager
def start_services(data_dir: Path, bucket: str) -> Iterator[RunningServices]:
    """Own ``data_dir`` and run its PostgreSQL and SeaweedFS (in parallel) until the block ends.

    Each service prefers the port it had last time (ports.json, :mod:`gateway.embedded.remembered_ports`);
    the ports it got are remembered once both run. On exit (normal, exception or signal-driven)
    SeaweedFS stops first, then PostgreSQL, then services.json is removed and the lock released.
    ``data_dir`` must have gone through :func:`prepare_data_dir`.
    """
    lock = DataDirLock(data_dir)
    if not lock.try_acquire():
        running = _read_services_file(data_dir)
        who = f"`labelgate serve` (pid {running['pid']})" if running else "another labelgate command"
        raise EmbeddedError(f"the data directory {data_dir} is in use by {who}; stop it or pass another --data-dir")
    keeper: _KeeperThread | None = None
    postgres: PostgresServer | None = None
    try:
        credentials = load_or_create_credentials(data_dir)
        ports = PortMemory(data_dir)
        keeper = _KeeperThread("embedded-s3", lambda: _start_s3(data_dir, credentials, bucket, ports))
        keeper.start()
        postgres = _start_postgres(data_dir, ports)
        keeper.ready.wait()
        if keeper.error is not None:
            raise keeper.error
        ports.save()
        services = RunningServices(data_dir, postgres, keeper.result, credentials)
        write_services_file(services)
        yield services
    finally:
        (data_dir / "services.json").unlink(missing_ok=True)
        if keeper is not None:
            keeper.ready.wait()
            if keeper.result is not None:
                log.info("stopping SeaweedFS")
                keeper.result.stop()
            keeper.release()
        if postgres is not None:
            log.info("stopping PostgreSQL")
            postgres.stop()
        lock.release()


@dataclass(frozen=True)
class CommandDatabase:
    """The embedded database a short command works on: ``started`` if the command started it itself."""

    url: str
    started: bool


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[CommandDatabase]:
    """The data directory's database for a short command (`create-user`, `migrate`, ...).

    If `serve` owns the directory, its PostgreSQL (address from services.json) is used as is.
    Otherwise PostgreSQL alone is started for the duration of the block (the database is created
    if missing) and stopped afterwards, on the port `serve` remembered (ports.json, which a short
    command only reads). Waits up to 30 s while another command holds the directory.
    """
    lock = DataDirLock(data_dir)
    deadline = time.monotonic() + _ATTACH_TIMEOUT
    while not lock.try_acquire():
        running = _read_services_file(data_dir)
        if running is not None:
            log.info("using the PostgreSQL of the running `labelgate serve` (pid %s)", running["pid"])
            yield CommandDatabase(running["database_url"], started=False)
            return
        if time.monotonic() > deadline:
            raise EmbeddedError(f"the data directory {data_dir} stayed busy (another labelgate command?)")
        time.sleep(0.1)
    try:
        postgres = _start_postgres(data_dir, PortMemory(data_dir))
        try:
            yield CommandDatabase(postgres.url(DATABASE_NAME), started=True)
        finally:
            postgres.stop()
    finally:
        lock.release()
