"""API keys and the viewer they identify.

Keys are random tokens shown once; the database keeps only their SHA-256. Clients send them as
`Authorization: X-API-Key: <key>` (the Kili SDK's form) or as `X-API-Key: <key>`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from gateway.db.models import ApiKey, User
from gateway.db.unavailable import database_unavailable, database_unavailable_error
from gateway.errors import Unauthenticated

KEY_PREFIX = "lg_"
DEFAULT_KEY_LIFETIME = timedelta(days=365 * 10)


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller."""

    user_id: str
    email: str
    organization_id: str
    is_org_admin: bool
    api_key_id: str


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
    """The key a request carries, or None."""
    authorization = headers.get("authorization", "").strip()
    if authorization.lower().startswith("x-api-key:"):
        return authorization.split(":", 1)[1].strip() or None
    return headers.get("x-api-key", "").strip() or None


async def authenticate(db: AsyncSession, key: str | None) -> Viewer:
    """The viewer behind `key`; `Unauthenticated` when it is missing, unknown, revoked or expired,
    `ServiceUnavailable` when the database cannot be reached to tell."""
    if not key:
        raise Unauthenticated("Missing API key: send the header 'Authorization: X-API-Key: <key>'.")
    try:
        row = await _key_row(db, key)
    except Exception as exc:
        if database_unavailable(exc):
            raise database_unavailable_error() from exc
        raise
    if row is None or row[2] or not row[7]:
        raise Unauthenticated("Unknown or revoked API key.")
    if row[1] <= datetime.now(UTC):
        raise Unauthenticated("This API key has expired.")
    return Viewer(user_id=row[3], email=row[4], organization_id=row[5], is_org_admin=row[6], api_key_id=row[0])


async def _key_row(db: AsyncSession, key: str) -> Row[Any] | None:
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
            .where(ApiKey.key_hash == hash_api_key(key))
        )
    ).first()
