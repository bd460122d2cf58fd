"""Object storage: the bucket that holds asset bytes, and the signed URLs clients use to reach it.

Two clients: `internal` talks to S3 from the gateway; `public` only signs URLs, for the address
clients reach (`s3_public_endpoint`). Signing is a local computation (the region is given, so the
minio client never asks the server for it), which is why presigning a page of assets costs no I/O,
and why signed URLs are handed out even while S3 is down.

When S3 cannot be reached or answers 5xx, every call fails quickly (bounded connect and read timeouts,
`s3_retries` retries instead of minio's five with up to 5 minutes each) with `ServiceUnavailable`,
so the request that needed it gets SERVICE_UNAVAILABLE rather than INTERNAL. Refusals about the call
itself (a missing bucket, denied access) are configuration errors and stay as they are.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import certifi
import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from gateway.errors import ServiceUnavailable
from gateway.settings import Settings

log = logging.getLogger("labelgate.storage")

T = TypeVar("T")

_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})
# Server answers worth another try (an overloaded or restarting S3, a proxy in front of it).
_RETRIED_STATUSES = frozenset({500, 502, 503, 504})
# Connections kept per S3 host: requests check up to 16 objects at a time (resolvers/content.py).
_POOL_SIZE = 32


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str | None


class Storage:
    def __init__(self, settings: Settings) -> None:
        if not settings.s3_endpoint:
            raise ValueError("no S3 endpoint configured (LABELGATE_S3_ENDPOINT)")
        self.bucket = settings.s3_bucket
        self.get_lifetime = timedelta(seconds=settings.signed_get_seconds)
        self.put_lifetime = timedelta(seconds=settings.signed_put_seconds)
        common = dict(
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        self.internal = Minio(settings.s3_endpoint, **common, http_client=storage_http_client(settings))
        self.public = Minio(settings.s3_public_endpoint or settings.s3_endpoint, **common)

    def ensure_bucket(self) -> None:
        if not self.internal.bucket_exists(self.bucket):
            self.internal.make_bucket(self.bucket)

    def signed_get_url(self, key: str, lifetime: timedelta | None = None, signed_at: datetime | None = None) -> str:
        """A GET URL valid `lifetime` (default LABELGATE_SIGNED_GET_SECONDS) from `signed_at` (default now)."""
        return self.public.presigned_get_object(
            self.bucket, key, expires=lifetime or self.get_lifetime, request_date=signed_at
        )

    def signed_put_url(self, key: str) -> str:
        return self.public.presigned_put_object(self.bucket, key, expires=self.put_lifetime)

    async def stat(self, key: str) -> ObjectInfo | None:
        """Size and type of a stored object, or None when there is no such object."""
        try:
            stat = await self._call("stat", key, lambda: self.internal.stat_object(self.bucket, key))
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                return None
            raise
        return ObjectInfo(key=key, size=stat.size or 0, content_type=stat.content_type)

    async def read_head(self, key: str, length: int) -> bytes:
        """The first `length` bytes of a stored object (a ranged GET: the rest is never transferred)."""

        def read() -> bytes:
            response = self.internal.get_object(self.bucket, key, offset=0, length=length)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await self._call("read", key, read)

    async def remove(self, key: str) -> None:
        """Removes an object; removing one that is not there succeeds (S3's DeleteObject)."""
        await self._call("remove", key, lambda: self.internal.remove_object(self.bucket, key))

    async def _call(self, operation: str, key: str, call: Callable[[], T]) -> T:
        """Runs a blocking minio call in a thread; `ServiceUnavailable` when S3 cannot serve it."""
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:
            if not storage_unavailable(exc):
                raise
            log.warning("object storage unavailable (%s %r): %s", operation, key, exc)
            raise ServiceUnavailable(
                "Object storage cannot be reached right now, so the request was not carried out; retry later."
            ) from exc


def storage_http_client(settings: Settings) -> urllib3.PoolManager:
    """The HTTP client of the gateway's minio client: minio's own waits up to 5 minutes per attempt and
    retries five times, which turns an S3 outage into requests hanging for minutes. Retries cover
    connection errors and 5xx answers; every call we make (HEAD, ranged GET, DELETE) is idempotent."""
    retries = settings.s3_retries
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=settings.s3_connect_timeout, read=settings.s3_read_timeout),
        maxsize=_POOL_SIZE,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=0.1,
            status_forcelist=_RETRIED_STATUSES,
            raise_on_status=False,  # the last 5xx answer reaches minio, which reports S3's error code
        ),
    )


def storage_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means S3 cannot serve anything right now (no connection, a timeout, a 5xx answer),
    as opposed to a refusal of this one call (no such object or bucket, access denied)."""
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return True
    if isinstance(exc, S3Error):
        return exc.response.status >= 500
    if isinstance(exc, ServerError):
        return exc.status_code >= 500
    if isinstance(exc, InvalidResponseError):  # a non-XML answer, e.g. a proxy's 502 page
        return getattr(exc, "_code", 0) >= 500
    return False


def asset_content_key(project_id: str, asset_id: str) -> str:
    """Where an uploaded asset's bytes live (the path the Kili SDK asks to upload to)."""
    return f"projects/{project_id}/assets/{asset_id}/content"
