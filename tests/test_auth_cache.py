"""The per-process cache of API keys: a confirmed key costs no statement; revocation and deactivation
take effect within `auth_cache_seconds`, expiry at once; unknown keys are never remembered."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from gateway.auth import AuthCache, Viewer, hash_api_key
from gateway.db import models
from gateway.settings import Settings

VIEWER = "{ viewer { id email } }"
TTL = 0.3


@pytest.fixture
def small_cache(app, monkeypatch) -> AuthCache:
    cache = AuthCache(TTL, 100)
    monkeypatch.setattr(app.state.services, "auth_cache", cache)
    return cache


@pytest.fixture
def default_cache(app, monkeypatch) -> AuthCache:
    """The cache as `serve` makes it by default (the suite's own app has it off)."""
    cache = AuthCache.from_settings(Settings())
    monkeypatch.setattr(app.state.services, "auth_cache", cache)
    return cache


async def _refused_after(api, key: str) -> float:
    """Seconds until requests with `key` are refused (polling every 20 ms, at most 5 s)."""
    began = time.monotonic()
    while time.monotonic() - began < 5:
        body = await api.raw(VIEWER, key=key)
        if body.get("errors"):
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            return time.monotonic() - began
        await asyncio.sleep(0.02)
    raise AssertionError("the key was still accepted after 5 s")


async def test_a_confirmed_key_costs_no_statement(api, seeder, sql_counter, default_cache) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    with sql_counter:
        assert (await api.data(VIEWER, key=key))["viewer"]["id"] == user.id
    assert sql_counter.count == 2, sql_counter.statements  # the key's lookup, the viewer's row
    assert "api_key" in sql_counter.statements[0]
    sql_counter.statements.clear()
    with sql_counter:
        assert (await api.data(VIEWER, key=key))["viewer"] == {"id": user.id, "email": user.email}
    assert sql_counter.count == 1 and "api_key" not in sql_counter.statements[0], sql_counter.statements


@pytest.mark.parametrize("change", ["revoke the key", "deactivate the user"])
async def test_a_revoked_key_is_refused_within_the_cache_delay(api, seeder, small_cache, change) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    await api.data(VIEWER, key=key)
    async with seeder._session_factory() as db, db.begin():
        if change == "revoke the key":
            await db.execute(update(models.ApiKey).where(models.ApiKey.user_id == user.id).values(revoked=True))
        else:
            await db.execute(update(models.User).where(models.User.id == user.id).values(activated=False))
    delay = await _refused_after(api, key)
    assert delay < TTL + 0.2, delay
    assert hash_api_key(key) not in small_cache._entries


async def test_an_expired_key_is_refused_at_once_even_when_cached(api, seeder, default_cache) -> None:
    assert default_cache.seconds >= 5  # expiry does not wait for it
    org = await seeder.organization()
    _, key = await seeder.user(org, expires_in=timedelta(milliseconds=400))
    await api.data(VIEWER, key=key)
    assert default_cache.get(hash_api_key(key)) is not None
    delay = await _refused_after(api, key)
    assert delay < 0.6, delay
    error = await api.error(VIEWER, key=key)
    assert error["message"] == "This API key has expired."


async def test_unknown_keys_are_not_remembered(api, seeder, small_cache, sql_counter) -> None:
    for _ in range(2):
        sql_counter.statements.clear()
        with sql_counter:
            assert (await api.error(VIEWER, key="lg_nope"))["extensions"]["code"] == "UNAUTHENTICATED"
        assert sql_counter.count == 1
    assert len(small_cache) == 0


def test_the_cache_forgets_the_least_recently_used_key_past_its_size_and_nothing_with_0_seconds() -> None:
    now = [0.0]
    cache = AuthCache(10, 2, clock=lambda: now[0])
    viewer = Viewer(user_id="u", email="e", organization_id="o", is_org_admin=False, api_key_id="k")
    expiry = datetime.now(UTC) + timedelta(days=1)
    for key_hash in ("a", "b"):
        cache.put(key_hash, viewer, expiry)
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", viewer, expiry)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    now[0] = 10.0
    assert cache.get("a") is None and len(cache) == 1
    off = AuthCache(0, 2)
    off.put("a", viewer, expiry)
    assert off.get("a") is None and len(off) == 0
