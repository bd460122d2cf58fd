"""`Asset.url(expiresIn)` and `Asset.urlExpiresAt`: the lifetime asked for is the one S3 enforces."""

from __future__ import annotations

import asyncio
import io
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from minio import Minio

from gateway.db import models
from gateway.storage import asset_content_key

QUERY = """query($id: ID!, $expiresIn: Int) { asset(id: $id) {
  url(expiresIn: $expiresIn) urlExpiresAt(expiresIn: $expiresIn) content
  default: url defaultExpiresAt: urlExpiresAt } }"""


async def _stored_asset(seeder, settings) -> tuple[str, str, bytes, models.Project]:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    stored = models.Asset(project_id=project.id, external_id="stored", content="", created_at=seeder.tick())
    stored.storage_key = asset_content_key(project.id, stored.id)
    stored.updated_at = stored.created_at
    await seeder.add(stored)
    payload = b"bytes of " + stored.id.encode()
    minio = Minio(
        settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key, secure=False
    )
    await asyncio.to_thread(
        minio.put_object, settings.s3_bucket, stored.storage_key, io.BytesIO(payload), len(payload), "image/png"
    )
    return stored.id, key, payload, project


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def _signed(url: str) -> tuple[datetime, int]:
    """(X-Amz-Date, X-Amz-Expires) of a signed URL."""
    query = parse_qs(urlparse(url).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed_at, int(query["X-Amz-Expires"][0])


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_a_url_signed_for_2_seconds_works_then_expires(api, seeder, settings) -> None:
    asset_id, key, payload, _ = await _stored_asset(seeder, settings)
    answer = (await api.data(QUERY, {"id": asset_id, "expiresIn": 2}, key=key))["asset"]
    signed_at, lifetime = _signed(answer["url"])
    assert lifetime == 2
    assert _instant(answer["urlExpiresAt"]) == signed_at + timedelta(seconds=2)
    default_signed_at, default_lifetime = _signed(answer["default"])
    assert default_lifetime == settings.signed_get_seconds and default_signed_at == signed_at
    assert _instant(answer["defaultExpiresAt"]) == signed_at + timedelta(seconds=settings.signed_get_seconds)
    assert _signed(answer["content"])[1] == settings.signed_get_seconds  # Kili's content keeps the default
    assert await asyncio.to_thread(_fetch, answer["url"]) == (200, payload)
    # Past urlExpiresAt (plus a second for the clocks' rounding), SeaweedFS refuses the same URL.
    await asyncio.sleep(max(0.0, (_instant(answer["urlExpiresAt"]) - datetime.now(UTC)).total_seconds()) + 1.5)
    status, _ = await asyncio.to_thread(_fetch, answer["url"])
    assert status == 403
    assert await asyncio.to_thread(_fetch, answer["default"]) == (200, payload)


async def test_every_url_of_a_request_is_signed_at_the_same_instant(api, seeder, settings) -> None:
    asset_id, key, _, project = await _stored_asset(seeder, settings)
    await seeder.asset(project, content="https://cdn.example.com/x.png")
    query = """query($where: AssetWhere!) { assets(where: $where, first: 10, skip: 0) {
      a: url(expiresIn: 60) b: url(expiresIn: 604800) expiresAt: urlExpiresAt(expiresIn: 60) } }"""
    started = time.time()
    rows = (await api.data(query, {"where": {"project": {"id": project.id}}}, key=key))["assets"]
    stored, external = rows
    (a_at, a_life), (b_at, b_life) = _signed(stored["a"]), _signed(stored["b"])
    assert a_at == b_at and (a_life, b_life) == (60, 604800)
    assert abs(a_at.timestamp() - started) < 5
    assert _instant(stored["expiresAt"]) == a_at + timedelta(seconds=60)
    assert external == {"a": "https://cdn.example.com/x.png", "b": "https://cdn.example.com/x.png", "expiresAt": None}


@pytest.mark.parametrize("expires_in", [0, -5, 604801, 2**31 - 1])
async def test_a_lifetime_outside_1_second_to_7_days_is_bad_input(api, seeder, settings, expires_in) -> None:
    asset_id, key, _, project = await _stored_asset(seeder, settings)
    external = await seeder.asset(project, content="https://cdn.example.com/x.png")
    for field in ("url", "urlExpiresAt"):
        for target in (asset_id, external.id):
            query = f"query($id: ID!, $e: Int) {{ asset(id: $id) {{ {field}(expiresIn: $e) }} }}"
            error = await api.error(query, {"id": target, "e": expires_in}, key=key)
            assert error["extensions"]["code"] == "BAD_USER_INPUT" and "expiresIn" in error["message"], error
