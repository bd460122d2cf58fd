"""Debian's PgBouncer in transaction pooling mode in front of the test PostgreSQL.

Transaction mode is where a client's consecutive transactions (and statements outside one) may run on
different server connections; a small pool makes that happen all the time. `scripts/setup test`
installs the package (`apt-get install pgbouncer`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.embedded import free_port
from gateway.embedded._process import pdeathsig_preexec

PGBOUNCER = "/usr/sbin/pgbouncer"
STARTUP_TIMEOUT = 15.0


class PgBouncer:
    """A running `pgbouncer` process; `url` is `database_url` pointed at it."""

    def __init__(self, database_url: str, pool_size: int = 2) -> None:
        if not Path(PGBOUNCER).exists():
            raise RuntimeError(f"{PGBOUNCER} is missing: run scripts/setup test (apt-get install pgbouncer)")
        self.server = make_url(database_url)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lg-pgbouncer-"))
        self.log = self.dir / "pgbouncer.log"
        user = self.server.username or "postgres"
        server = f"host={self.server.host or '127.0.0.1'} port={self.server.port or 5432}"
        if self.server.password:
            server += f" password={self.server.password}"
        (self.dir / "userlist.txt").write_text(f'"{user}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = {server}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.dir / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\n"
            "max_client_conn = 500\n"
            f"logfile = {self.log}\npidfile = {self.dir / 'pgbouncer.pid'}\n"
            "log_connections = 0\nlog_disconnections = 0\n"
        )
        run_as = _unprivileged_user()
        if run_as is not None:  # pgbouncer refuses to run as root
            shutil.chown(self.dir, run_as.pw_uid, run_as.pw_gid)
            for path in self.dir.iterdir():
                shutil.chown(path, run_as.pw_uid, run_as.pw_gid)
        kwargs = {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []} if run_as else {}
        self.process = subprocess.Popen(
            [PGBOUNCER, str(self.dir / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pdeathsig_preexec(signal.SIGINT),  # gone with the test process, however it ends
            **kwargs,
        )
        self._wait_until_listening()

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the same database, through PgBouncer."""
        return self.server.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
                raise RuntimeError(f"pgbouncer did not start:\n{log[-3000:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # immediate shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _unprivileged_user() -> pwd.struct_passwd | None:
    """As root, `postgres` (else `nobody`); as anyone else, None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a postgres nor a nobody user to run pgbouncer as")
