"""API keys and the viewer they identify.

Keys are random tokens shown once; the database keeps only their SHA-256. Clients send them as
`Authorization: Bearer <key>`, `Authorization: X-API-Key: <key>` (the Kili SDK's form) or as
`X-API-Key: <key>` (`ACCEPTED_FORMS`).

A key that authenticated is remembered by its process for `auth_cache_seconds` (`AuthCache`), so the
hot path costs no database round trip: revoking a key, deactivating its user or changing the user's
organization role takes effect within that delay; a key's expiry takes effect at once (every hit
checks `expires_at`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from gateway.db.models import ApiKey, User
from gateway.db.unavailable import database_unavailable, database_unavailable_error
from gateway.errors import Unauthenticated
from gateway.settings import Settings

KEY_PREFIX = "lg_"
# The headers that carry a key, as the error for a missing key lists them.
ACCEPTED_FORMS = "'Authorization: Bearer <key>', 'Authorization: X-API-Key: <key>' or 'X-API-Key: <key>'"
DEFAULT_KEY_LIFETIME = timedelta(days=365 * 10)


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller."""

    user_id: str
    email: str
    organization_id: str
    is_org_admin: bool
    api_key_id: str


class AuthCache:
    """Key hash -> (viewer, key expiry) of keys that authenticated, per process, for `seconds` after
    the database said so; at most `max_size` keys (the least recently used go first).

    Only successes are kept: an unknown key is looked up every time, so a key created a moment ago
    (by another process, the CLI) works at once. With `seconds` 0 nothing is kept."""

    def __init__(self, seconds: float, max_size: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.max_size = max_size
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Viewer, datetime, float]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthCache:
        return cls(settings.auth_cache_seconds, settings.auth_cache_size)

    def get(self, key_hash: str) -> tuple[Viewer, datetime] | None:
        """The viewer and expiry of a key the database confirmed less than `seconds` ago."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if self._clock() - entry[2] >= self.seconds:
            del self._entries[key_hash]
            return None
        self._entries.move_to_end(key_hash)
        return entry[0], entry[1]

    def put(self, key_hash: str, viewer: Viewer, expires_at: datetime) -> None:
        if self.seconds <= 0:
            return
        self._entries[key_hash] = (viewer, expires_at, self._clock())
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def forget(self, key_hash: str) -> None:
        self._entries.pop(key_hash, None)

    def __len__(self) -> int:
        return len(self._entries)


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key_row(
    user_id: str, key: str, *, name: str | None = None, lifetime: timedelta = DEFAULT_KEY_LIFETIME
) -> ApiKey:
    return ApiKey(
        user_id=user_id,
        name=name,
        key_hash=hash_api_key(key),
        key_prefix=key[: len(KEY_PREFIX) + 6],
        expires_at=datetime.now(UTC) + lifetime,
    )


def api_key_from_headers(headers: Headers) -> str | None:
    """The key a request carries, or None (`ACCEPTED_FORMS`; the rate limiter reads keys here too)."""
    authorization = headers.get("authorization", "").strip()
    scheme = authorization[:10].lower()
    if scheme.startswith("bearer "):
        return authorization[7:].strip() or None
    if scheme == "x-api-key:":
        return authorization[10:].strip() or None
    return headers.get("x-api-key", "").strip() or None


def recently_confirmed(key: str | None, cache: AuthCache) -> Viewer | None:
    """The viewer behind `key` when the cache confirms it and it has not expired, without a
    statement; None otherwise (`authenticate` then decides, with the database)."""
    if not key:
        return None
    cached = cache.get(hash_api_key(key))
    if cached is None or cached[1] <= datetime.now(UTC):
        return None
    return cached[0]


async def authenticate(db: AsyncSession, key: str | None, cache: AuthCache | None = None) -> Viewer:
    """The viewer behind `key`; `Unauthenticated` when it is missing, unknown, revoked or expired,
    `ServiceUnavailable` when the database cannot be reached to tell. With `cache`, a key confirmed
    recently costs no statement (see the module docstring for what that delays)."""
    if not key:
        raise Unauthenticated(f"Missing API key: send it as {ACCEPTED_FORMS}.")
    key_hash = hash_api_key(key)
    cached = cache.get(key_hash) if cache is not None else None
    if cached is None:
        try:
            row = await _key_row(db, key_hash)
        except Exception as exc:
            if database_unavailable(exc):
                raise database_unavailable_error() from exc
            raise
        if row is None or row[2] or not row[7]:
            raise Unauthenticated("Unknown or revoked API key.")
        viewer = Viewer(user_id=row[3], email=row[4], organization_id=row[5], is_org_admin=row[6], api_key_id=row[0])
        cached = viewer, row[1]
        if cache is not None:
            cache.put(key_hash, viewer, row[1])
    viewer, expires_at = cached
    if expires_at <= datetime.now(UTC):
        if cache is not None:
            cache.forget(key_hash)
        raise Unauthenticated("This API key has expired.")
    return viewer


async def _key_row(db: AsyncSession, key_hash: str) -> Row[Any] | None:
    return (
        await db.execute(
            select(
                ApiKey.id,
                ApiKey.expires_at,
                ApiKey.revoked,
                User.id,
                User.email,
                User.organization_id,
                User.is_org_admin,
                User.activated,
            )
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == key_hash)
        )
    ).first()
