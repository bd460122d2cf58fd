"""S3 faults: a coded error, quickly, and nothing written; deletes leave a durable outbox row that is
retried until the object is gone.

The gateway under test talks to a SeaweedFS of this module's own (the session's S3 stays up for the
other tests), which the tests stop and start again on the same port and data directory; the database
is the session's.
"""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from minio import Minio
from sqlalchemy import func, select

from gateway import cli
from gateway.app import create_app
from gateway.db import models
from gateway.db.ids import new_id
from gateway.embedded import S3Server, ensure_bucket, start_seaweedfs
from gateway.settings import Settings
from gateway.storage import asset_content_key
from gateway.storage_outbox import retry_due, storage_backlog
from resolvers import workflow
from tests.conftest import Api, SqlCounter

BUCKET = "storage-faults"
RETRY_SECONDS = 0.2
APPEND = """mutation($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  data: appendManyAssets(data: $data, where: $where) { id } }"""
UPDATE = """mutation($where: [AssetWhere!]!, $data: [AssetData!]!) {
  data: updatePropertiesInAssets(where: $where, data: $data) { id } }"""
SIGN = "query($filePaths: [String!]) { urls: createUploadBucketSignedUrls(filePaths: $filePaths) }"
DELETE = """mutation($where: AssetWhere!) {
  data: deleteAssets(where: $where) { succeeded { assetId } declined { assetId } failed { assetId } } }"""
COUNT = "query($id: ID!) { countAssets(where: {project: {id: $id}}) }"
Outbox = models.StorageOutbox


class OwnS3:
    """A SeaweedFS that can be stopped and started again on the same port and data directory."""

    def __init__(self, access_key: str, secret_key: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lg-s3-faults-"))
        self.access_key, self.secret_key = access_key, secret_key
        self.server: S3Server | None = self._start(None)
        self.port = self.server.port
        ensure_bucket(self.endpoint, access_key, secret_key, BUCKET)

    def _start(self, port: int | None) -> S3Server:
        return start_seaweedfs(self.dir, port, access_key=self.access_key, secret_key=self.secret_key)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def start(self) -> None:
        if self.server is None:
            self.server = self._start(self.port)
            assert self.server.port == self.port, "S3 came back on another port"

    def client(self) -> Minio:
        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False)

    def put(self, key: str, body: bytes = b"bytes") -> None:
        self.client().put_object(BUCKET, key, io.BytesIO(body), len(body))

    def exists(self, key: str) -> bool:
        return key in [o.object_name for o in self.client().list_objects(BUCKET, prefix=key)]


@pytest.fixture(scope="module")
def own_s3(settings: Settings) -> Iterator[OwnS3]:
    s3 = OwnS3(settings.s3_access_key, settings.s3_secret_key)
    try:
        yield s3
    finally:
        s3.stop()
        shutil.rmtree(s3.dir, ignore_errors=True)


@pytest.fixture
def s3(own_s3: OwnS3) -> OwnS3:
    """The module's S3, running at the start of the test."""
    own_s3.start()
    return own_s3


def _settings(settings: Settings, endpoint: str, **overrides) -> Settings:
    return Settings(
        database_url=settings.database_url,
        s3_endpoint=endpoint,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key,
        s3_bucket=BUCKET,
        storage_retry_seconds=RETRY_SECONDS,
        auth_cache_seconds=settings.auth_cache_seconds,  # the statement pins count the key's lookup
        **overrides,
    )


@pytest.fixture(scope="module")
def fault_app(settings: Settings, own_s3: OwnS3):
    return create_app(_settings(settings, own_s3.endpoint))


@pytest.fixture
async def fault_api(fault_app) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=fault_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.test") as client:
        yield Api(client)


async def _manager(seeder):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    reviewer, reviewer_key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "TEAM_MANAGER", reviewer.id: "REVIEWER"})
    return project, key, reviewer_key


async def _stored_asset(seeder, s3: OwnS3, project) -> models.Asset:
    asset_id = new_id()
    key = asset_content_key(project.id, asset_id)
    s3.put(key)
    return await seeder.asset(project, id=asset_id, content="", storage_key=key)


async def _outbox(app, *keys: str) -> list[models.StorageOutbox]:
    async with app.state.services.session_factory() as db:
        return list((await db.scalars(select(Outbox).where(Outbox.key.in_(keys)))).all())


async def _assets(app, project_id: str) -> int:
    async with app.state.services.session_factory() as db:
        return (await db.execute(select(func.count()).where(models.Asset.project_id == project_id))).scalar_one()


async def _retry_until_empty(app, keys: list[str], timeout: float = 10.0) -> None:
    services = app.state.services
    deadline = time.monotonic() + timeout
    while await _outbox(app, *keys):
        assert time.monotonic() < deadline, await _outbox(app, *keys)
        await asyncio.sleep(RETRY_SECONDS / 2)
        await retry_due(services.session_factory, services.storage, services.settings)


# --- S3 unavailable: a coded error, quickly, nothing written ---------------------------------------


async def test_with_s3_down_stored_content_is_service_unavailable_quickly_and_nothing_is_written(
    fault_api, fault_app, seeder, s3
) -> None:
    project, key, _ = await _manager(seeder)
    stored = [f"projects/{project.id}/assets/{new_id()}/content" for _ in range(40)]
    for path in stored[:2]:
        s3.put(path)
    existing = await seeder.asset(project, content="https://example.com/a.jpg")
    s3.stop()

    data = {"contentArray": ["https://example.com/b.jpg", *stored], "externalIDArray": [new_id() for _ in range(41)]}
    started = time.monotonic()
    error = await fault_api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
    elapsed = time.monotonic() - started
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    assert "retry later" in error["message"]
    assert elapsed < 2.0, elapsed
    assert await _assets(fault_app, project.id) == 1  # only the asset that was there

    error = await fault_api.error(UPDATE, {"where": [{"id": existing.id}], "data": [{"content": stored[0]}]}, key=key)
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    assert (await fault_api.data(COUNT, {"id": project.id}, key=key))["countAssets"] == 1

    # Signing needs no S3, and content that is not ours does not either.
    urls = (await fault_api.data(SIGN, {"filePaths": stored[:3]}, key=key))["urls"]
    assert len(urls) == 3 and all(f"/{BUCKET}/projects/{project.id}/" in url for url in urls)
    data = {"contentArray": ["https://example.com/c.jpg"], "externalIDArray": ["external"]}
    assert len((await fault_api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"]) == 1


async def test_an_s3_that_accepts_connections_but_never_answers_fails_within_the_read_timeout(settings, seeder) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel completes connections; nobody ever reads or answers
        endpoint = f"127.0.0.1:{silent.getsockname()[1]}"
        app = create_app(_settings(settings, endpoint, s3_read_timeout=0.3, s3_retries=1))
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                project, key, _ = await _manager(seeder)
                paths = [f"projects/{project.id}/assets/{new_id()}/content" for _ in range(3)]
                data = {"contentArray": paths, "externalIDArray": ["a", "b", "c"]}
                started = time.monotonic()
                error = await Api(client).error(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
                elapsed = time.monotonic() - started
                assert await _assets(app, project.id) == 0
        finally:
            await app.state.services.engine.dispose()
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    # Two attempts of 0.3 s, plus the retry's backoff: not minio's 5 attempts of up to 5 minutes.
    assert elapsed < 2.0, elapsed


# --- deletes: the outbox ----------------------------------------------------------------------------


async def test_with_s3_down_a_delete_succeeds_and_its_objects_wait_in_the_outbox_until_s3_is_back(
    fault_api, fault_app, seeder, s3, capsys, monkeypatch
) -> None:
    project, key, _ = await _manager(seeder)
    one = await _stored_asset(seeder, s3, project)
    many = [await _stored_asset(seeder, s3, project) for _ in range(5)]
    keys = [a.storage_key for a in [one, *many]]
    s3.stop()

    counts = []
    for assets in ([one], many):
        counter = SqlCounter(fault_app.state.services.engine)
        started = time.monotonic()
        with counter:
            outcome = await fault_api.data(DELETE, {"where": {"idIn": [a.id for a in assets]}}, key=key)
        assert time.monotonic() - started < 2.0
        assert sorted(s["assetId"] for s in outcome["data"]["succeeded"]) == sorted(a.id for a in assets)
        assert outcome["data"]["declined"] == outcome["data"]["failed"] == []
        counts.append(counter.count)
    # 5 for the delete itself, 1 to queue the objects, 2 to claim the rows and reschedule the failures,
    # 1 to count the backlog for the log: 1 or 5 objects alike.
    assert counts == [9, 9], counts
    assert await _assets(fault_app, project.id) == 0

    rows = await _outbox(fault_app, *keys)
    assert sorted(r.key for r in rows) == sorted(keys)
    assert all(r.bucket == BUCKET and r.attempts == 1 and "MaxRetryError" in (r.last_error or "") for r in rows)

    # The CLI shows the backlog (every bucket's rows; this test's are the newest).
    monkeypatch.setenv("LABELGATE_DATABASE_URL", fault_app.state.services.settings.database_url)
    assert await asyncio.to_thread(cli.main, ["storage-backlog"]) == 0  # it runs its own event loop
    lines = capsys.readouterr().out.splitlines()
    async with fault_app.state.services.session_factory() as db:
        backlog = await storage_backlog(db.execute)
    assert lines[0] == f"objects awaiting removal: {backlog.count}" and backlog.count >= len(keys)
    assert lines[1].startswith("oldest queued: ") and lines[1].endswith(" s ago)")

    # Retried while S3 is still down: the rows stay, and the next try waits twice as long.
    await asyncio.sleep(RETRY_SECONDS * 1.5)
    services = fault_app.state.services
    attempt = await retry_due(services.session_factory, services.storage, services.settings)
    assert attempt.claimed == len(keys) and attempt.failed == len(keys) and attempt.unavailable
    rows = await _outbox(fault_app, *keys)
    assert {r.attempts for r in rows} == {2}
    async with services.session_factory() as db:
        delays = (await db.scalars(select(Outbox.next_attempt_at - func.now()).where(Outbox.key.in_(keys)))).all()
    assert all(RETRY_SECONDS < d.total_seconds() <= 2 * RETRY_SECONDS for d in delays), delays

    s3.start()
    assert all(s3.exists(k) for k in keys)
    await _retry_until_empty(fault_app, keys)
    assert not any(s3.exists(k) for k in keys)


async def test_the_background_task_empties_the_outbox_once_s3_is_back(fault_api, fault_app, seeder, s3, caplog) -> None:
    project, key, _ = await _manager(seeder)
    asset = await _stored_asset(seeder, s3, project)
    async with fault_app.router.lifespan_context(fault_app):
        with caplog.at_level(logging.INFO, logger="labelgate.storage"):
            s3.stop()
            await fault_api.data(DELETE, {"where": {"id": asset.id}}, key=key)
            assert [r.key for r in await _outbox(fault_app, asset.storage_key)] == [asset.storage_key]
            await asyncio.sleep(RETRY_SECONDS * 3)  # a few passes fail meanwhile
            assert await _outbox(fault_app, asset.storage_key)
            s3.start()
            deadline = time.monotonic() + 15
            while await _outbox(fault_app, asset.storage_key):
                assert time.monotonic() < deadline, "the background task did not remove the object"
                await asyncio.sleep(0.1)
    assert not s3.exists(asset.storage_key)
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"await removal from bucket '{BUCKET}'" in m for m in messages), messages  # the task's warning
    assert any("storage backlog drained" in m for m in messages), messages


async def test_the_outbox_row_commits_or_rolls_back_with_the_delete(
    fault_api, fault_app, seeder, s3, monkeypatch
) -> None:
    project, key, reviewer_key = await _manager(seeder)
    asset = await _stored_asset(seeder, s3, project)

    # Refused (FORBIDDEN before anything is written) and failed after the rows were queued: rolled back.
    error = await fault_api.error(DELETE, {"where": {"id": asset.id}}, key=reviewer_key)
    assert error["extensions"]["code"] == "FORBIDDEN"

    async def fail_late(*args, **kwargs):
        raise RuntimeError("the delete fails after queueing its objects")

    with monkeypatch.context() as patch:
        patch.setattr(workflow, "unmatched_named_assets", fail_late)
        error = await fault_api.error(DELETE, {"where": {"id": asset.id}}, key=key)
    assert error["extensions"]["code"] == "INTERNAL"
    assert await _assets(fault_app, project.id) == 1
    assert await _outbox(fault_app, asset.storage_key) == []
    assert s3.exists(asset.storage_key)

    # Committed, and the process dies before removing anything: the row is there, the retry removes it.
    async def die_after_commit(ctx, ids):
        return None

    with monkeypatch.context() as patch:
        patch.setattr(workflow, "remove_queued", die_after_commit)
        await fault_api.data(DELETE, {"where": {"id": asset.id}}, key=key)
    assert await _assets(fault_app, project.id) == 0
    [row] = await _outbox(fault_app, asset.storage_key)
    assert row.attempts == 0 and s3.exists(asset.storage_key)
    await _retry_until_empty(fault_app, [asset.storage_key])
    assert not s3.exists(asset.storage_key)


async def test_a_queued_object_another_asset_refers_to_again_is_kept(fault_api, fault_app, seeder, s3) -> None:
    project, key, _ = await _manager(seeder)
    asset = await _stored_asset(seeder, s3, project)
    s3.stop()
    await fault_api.data(DELETE, {"where": {"id": asset.id}}, key=key)
    assert await _outbox(fault_app, asset.storage_key)
    s3.start()
    # Appended again while its removal waits: the object must stay.
    data = {"contentArray": [asset.storage_key], "externalIDArray": ["again"]}
    [again] = (await fault_api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"]
    await _retry_until_empty(fault_app, [asset.storage_key])
    assert s3.exists(asset.storage_key)
    # Its own delete removes it at once.
    await fault_api.data(DELETE, {"where": {"id": again["id"]}}, key=key)
    assert await _outbox(fault_app, asset.storage_key) == [] and not s3.exists(asset.storage_key)


async def test_a_delete_with_s3_up_removes_its_objects_at_once_in_a_constant_number_of_statements(
    fault_api, fault_app, seeder, s3
) -> None:
    counts = []
    for size in (1, 20):
        project, key, _ = await _manager(seeder)
        assets = [await _stored_asset(seeder, s3, project) for _ in range(size)]
        counter = SqlCounter(fault_app.state.services.engine)
        with counter:
            await fault_api.data(DELETE, {"where": {"idIn": [a.id for a in assets]}}, key=key)
        counts.append(counter.count)
        keys = [a.storage_key for a in assets]
        assert await _outbox(fault_app, *keys) == [] and not any(s3.exists(k) for k in keys)
    # 5 for the delete itself, 1 to queue the objects, then 1 to claim the rows and 1 to delete them.
    assert counts == [8, 8], counts


async def test_concurrent_retries_share_the_rows_without_working_one_twice(
    fault_api, fault_app, seeder, s3, monkeypatch
) -> None:
    project, key, _ = await _manager(seeder)
    assets = [await _stored_asset(seeder, s3, project) for _ in range(30)]

    async def die_after_commit(ctx, ids):
        return None

    with monkeypatch.context() as patch:
        patch.setattr(workflow, "remove_queued", die_after_commit)
        await fault_api.data(DELETE, {"where": {"idIn": [a.id for a in assets]}}, key=key)
    keys = [a.storage_key for a in assets]
    assert len(await _outbox(fault_app, *keys)) == 30
    await asyncio.sleep(RETRY_SECONDS * 1.5)
    services = fault_app.state.services
    # Two processes' background passes at once (separate sessions, so separate transactions).
    attempts = await asyncio.gather(
        *(retry_due(services.session_factory, services.storage, services.settings) for _ in range(2))
    )
    assert sum(a.claimed for a in attempts) == sum(a.removed for a in attempts) == 30, attempts
    assert await _outbox(fault_app, *keys) == [] and not any(s3.exists(k) for k in keys)
