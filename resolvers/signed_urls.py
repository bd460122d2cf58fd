"""Lifetimes of the signed download URLs `Asset.url` hands out (SceneBox `get_url(expiration)`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from gateway.errors import BadUserInput
from gateway.storage import Storage

MIN_EXPIRES_IN = 1
MAX_EXPIRES_IN = 7 * 24 * 3600  # S3 signature version 4 allows no longer


class SigningContext(Protocol):
    """What signing needs of a request (`gateway.context.RequestContext` has it): the storage and
    the one instant all of the request's URLs are signed at."""

    @property
    def storage(self) -> Storage: ...

    @property
    def signing_time(self) -> datetime: ...


def url_lifetime(ctx: SigningContext, expires_in: int | None) -> timedelta:
    """`expiresIn` seconds, checked; None is the server's setting (LABELGATE_SIGNED_GET_SECONDS)."""
    if expires_in is None:
        return ctx.storage.get_lifetime
    if not MIN_EXPIRES_IN <= expires_in <= MAX_EXPIRES_IN:
        raise BadUserInput(
            f"expiresIn: {expires_in} seconds; a signed URL lasts from {MIN_EXPIRES_IN} s to "
            f"{MAX_EXPIRES_IN} s (7 days)."
        )
    return timedelta(seconds=expires_in)


def asset_url(ctx: SigningContext, storage_key: str | None, content: str, expires_in: int | None) -> str:
    """A signed URL for an object in our bucket, the content itself otherwise (`expiresIn` is checked
    either way, so a bad value never passes unnoticed)."""
    lifetime = url_lifetime(ctx, expires_in)
    if not storage_key:
        return content
    return ctx.storage.signed_get_url(storage_key, lifetime, ctx.signing_time)


def url_expires_at(ctx: SigningContext, storage_key: str | None, expires_in: int | None) -> datetime | None:
    """When `asset_url` stops working; None for content we do not sign."""
    lifetime = url_lifetime(ctx, expires_in)
    return ctx.signing_time + lifetime if storage_key else None
