"""Object storage: the bucket that holds asset bytes, and the signed URLs clients use to reach it.

Two clients: `internal` talks to S3 from the gateway; `public` only signs URLs, for the address
clients reach (`s3_public_endpoint`). Signing is a local computation (the region is given, so the
minio client never asks the server for it), which is why presigning a page of assets costs no I/O.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from minio import Minio
from minio.error import S3Error

from gateway.settings import Settings


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
        self.internal = Minio(settings.s3_endpoint, **common)
        self.public = Minio(settings.s3_public_endpoint or settings.s3_endpoint, **common)

    def ensure_bucket(self) -> None:
        if not self.internal.bucket_exists(self.bucket):
            self.internal.make_bucket(self.bucket)

    def signed_get_url(self, key: str) -> str:
        return self.public.presigned_get_object(self.bucket, key, expires=self.get_lifetime)

    def signed_put_url(self, key: str) -> str:
        return self.public.presigned_put_object(self.bucket, key, expires=self.put_lifetime)

    async def stat(self, key: str) -> ObjectInfo | None:
        """Size and type of a stored object, or None when there is no such object."""
        try:
            stat = await asyncio.to_thread(self.internal.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
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

        return await asyncio.to_thread(read)

    async def remove(self, key: str) -> None:
        await asyncio.to_thread(self.internal.remove_object, self.bucket, key)


def asset_content_key(project_id: str, asset_id: str) -> str:
    """Where an uploaded asset's bytes live (the path the Kili SDK asks to upload to)."""
    return f"projects/{project_id}/assets/{asset_id}/content"
