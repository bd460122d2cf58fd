"""Real (no mocks) tests of gateway.embedded: PostgreSQL and SeaweedFS processes started for real."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import tempfile
import urllib.request
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import asyncpg
import pytest
from minio import Minio
from minio.error import S3Error

from gateway.embedded import (
    ensure_bucket,
    free_port,
    port_is_free,
    start_postgres,
    start_seaweedfs,
    weed_ports,
)
from gateway.embedded.ports import WEED_PORT_LIMIT
from gateway.embedded.remembered_ports import PortMemory
from gateway.embedded_run import prepare_data_dir, start_services
from tests.processes import processes_using

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


@pytest.fixture
def base_dir() -> Iterator[Path]:
    """A short dir straight under /tmp: not pytest's tmp_path, which the server user can't enter (T1, T2)."""
    path = Path(tempfile.mkdtemp(prefix="lg-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_free_port_and_weed_ports() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert not port_is_free(taken)
        assert free_port(taken) != taken
    other = free_port()
    assert free_port(other) == other

    ports = weed_ports()
    every = ports.all()
    assert len(set(every)) == len(every) == 10
    assert ports.admin_grpc == ports.admin + 10000
    assert all(p < WEED_PORT_LIMIT for p in every if p != ports.admin_grpc)


async def test_postgres_data_survives_restart(base_dir: Path) -> None:
    # An async test on purpose: create_database must work from inside a running event loop.
    pg = start_postgres(base_dir, durable=True)
    assert pg.url("lg_test") == f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/lg_test"
    pg.create_database("lg_test")
    pg.create_database("lg_test")  # idempotent
    conn = await asyncpg.connect(host="127.0.0.1", port=pg.port, user="postgres", database="lg_test")
    try:
        assert await conn.fetchval("SHOW server_encoding") == "UTF8"  # T3
        await conn.execute("CREATE TABLE label (id int PRIMARY KEY, name text)")
        await conn.execute("INSERT INTO label VALUES (1, 'café')")
    finally:
        await conn.close()
    pg.stop()
    pg.stop()  # idempotent
    assert pg.process.poll() is not None
    assert processes_using(base_dir) == []

    pg = start_postgres(base_dir, durable=True)
    try:
        conn = await asyncpg.connect(host="127.0.0.1", port=pg.port, user="postgres", database="lg_test")
        try:
            assert await conn.fetchval("SELECT upper(name) FROM label WHERE id = 1") == "CAFÉ"
        finally:
            await conn.close()
    finally:
        pg.stop()
    assert processes_using(base_dir) == []


def test_seaweedfs_auth_objects_presign_and_restart(base_dir: Path) -> None:
    s3 = start_seaweedfs(base_dir, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    try:
        with pytest.raises(S3Error) as wrong:
            Minio(s3.endpoint, access_key=ACCESS_KEY, secret_key="wrong-secret", secure=False).list_buckets()
        assert wrong.value.code == "SignatureDoesNotMatch"  # T7: auth is really on

        ensure_bucket(s3.endpoint, ACCESS_KEY, SECRET_KEY, "lg-test")
        ensure_bucket(s3.endpoint, ACCESS_KEY, SECRET_KEY, "lg-test")  # idempotent
        client = Minio(s3.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)
        payload = b"labelled bytes \x00\xff"
        client.put_object("lg-test", "dir/a.bin", BytesIO(payload), len(payload))
        response = client.get_object("lg-test", "dir/a.bin")
        try:
            assert response.read() == payload
        finally:
            response.close()
            response.release_conn()
        url = client.presigned_get_object("lg-test", "dir/a.bin")
        with urllib.request.urlopen(url, timeout=10) as presigned:
            assert presigned.read() == payload
    finally:
        s3.stop()
    s3.stop()  # idempotent
    assert s3.process.poll() is not None
    assert processes_using(base_dir) == []
    leftovers = [sock for p in s3.ports.all() for sock in Path("/tmp").glob(f"seaweedfs-*-{p}.sock")]
    assert leftovers == []  # T6

    # The data survives a restart, even on other ports.
    s3 = start_seaweedfs(base_dir, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    try:
        client = Minio(s3.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)
        assert client.stat_object("lg-test", "dir/a.bin").size == len(payload)
    finally:
        s3.stop()
    assert processes_using(base_dir) == []


def _listening(port: int) -> socket.socket:
    """A socket holding ``port`` (SO_REUSEADDR: the port may still have TIME_WAIT sockets of the server)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def test_services_keep_their_ports_across_restarts(base_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    data_dir = prepare_data_dir(base_dir)
    caplog.set_level(logging.INFO, logger="labelgate.embedded")
    with start_services(data_dir, "lg-ports") as first:
        ports = {"postgres": first.postgres.port, "s3": first.s3.port}
    assert json.loads((data_dir / "ports.json").read_text()) == ports

    caplog.clear()
    with start_services(data_dir, "lg-ports") as second:
        assert {"postgres": second.postgres.port, "s3": second.s3.port} == ports
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text

    # Both remembered ports busy: others are chosen, with a warning each, and remembered instead.
    caplog.clear()
    with _listening(ports["postgres"]), _listening(ports["s3"]), start_services(data_dir, "lg-ports") as third:
        moved = {"postgres": third.postgres.port, "s3": third.s3.port}
        # Same data on the new port: the bucket of the first start is there.
        credentials = third.credentials
        client = Minio(third.s3.endpoint, credentials.access_key, credentials.secret_key, secure=False)
        assert client.bucket_exists("lg-ports")
    assert moved["postgres"] != ports["postgres"] and moved["s3"] != ports["s3"]
    for what, service in (("PostgreSQL", "postgres"), ("SeaweedFS S3", "s3")):
        expected = f"{what}: port {ports[service]} (remembered in {data_dir / 'ports.json'}) is busy"
        assert expected in caplog.text, caplog.text
    assert json.loads((data_dir / "ports.json").read_text()) == moved

    with start_services(data_dir, "lg-ports") as fourth:
        assert {"postgres": fourth.postgres.port, "s3": fourth.s3.port} == moved
    assert processes_using(base_dir) == []


@pytest.mark.parametrize("content", ["{not json", "[55432]", '{"postgres": "55432", "s3": 0}'])
def test_an_unreadable_ports_file_means_the_defaults(
    base_dir: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    (base_dir / "ports.json").write_text(content)
    memory = PortMemory(base_dir)
    assert memory.preferred("postgres", 55432) == 55432 and memory.preferred("s3", 8333) == 8333
    assert "ignoring" in caplog.text
