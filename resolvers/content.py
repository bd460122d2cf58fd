"""Asset content: what clients send (`contentArray[i]`, `AssetData.content`) turned into what we store.

A content string is one of:
- an http(s) URL that is not ours: an external asset, stored as given;
- a signed URL of our own bucket (host:port of `s3_public_endpoint` or `s3_endpoint`, path
  `/<bucket>/<key>`, any query string, including the `&id=...` the Kili SDK appends), or a bare key
  `projects/<projectId>/...`: an object uploaded with `createUploadBucketSignedUrls`. It must lie under
  the asset's own project and exist; its size, MIME type and (for images, when cheap) resolution are
  recorded, and from then on the asset's `url` is a signed GET of it;
- any other string: raw text, inline, in TEXT and LLM projects only.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import imagesize
from minio.error import S3Error

from gateway.errors import BadUserInput, Forbidden, GatewayError, ServiceUnavailable
from gateway.settings import Settings
from gateway.storage import Storage

TEXT_INPUT_TYPES = frozenset({"TEXT", "LLM_RLHF", "LLM_INSTR_FOLLOWING", "LLM_STATIC"})
KEY_PREFIX = "projects/"
# Image headers (PNG, GIF, WebP, most JPEGs) sit in the first bytes; a JPEG whose size marker lies
# further (big EXIF blocks) simply gets no resolution.
IMAGE_HEAD_BYTES = 64 * 1024
# Concurrent S3 calls per batch (stat, then ranged GET for images).
STORAGE_CONCURRENCY = 16
_UNTYPED = {"", "application/octet-stream", "binary/octet-stream"}


@dataclass(frozen=True)
class StoredContent:
    """The columns a content string sets on an asset."""

    content: str
    storage_key: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    width: float | None = None
    height: float | None = None


@dataclass(frozen=True)
class ContentRequest:
    """One content string to resolve, for an asset of `project_id`; `item` names it in error messages."""

    value: str
    project_id: str
    input_type: str
    item: str


def project_of_key(key: str) -> str | None:
    """The project id of a key `projects/<projectId>/<rest>`, or None for any other shape (no empty,
    `.` or `..` segments, something after the project id)."""
    segments = key.split("/")
    if len(segments) < 3 or segments[0] != "projects":
        return None
    if any(segment in {"", ".", ".."} for segment in segments[1:]):
        return None
    return segments[1]


@lru_cache(maxsize=8)
def _own_hosts(public_endpoint: str | None, endpoint: str | None) -> frozenset[str]:
    return frozenset(e.lower() for e in (public_endpoint, endpoint) if e)


def _host_of(url: str) -> str:
    """The host:port of an http(s) URL, lower-cased (cheaper than urlsplit, which only URLs of our
    own storage need)."""
    rest = url.partition("://")[2]
    end = len(rest)
    for separator in "/?#":
        found = rest.find(separator, 0, end)
        if found >= 0:
            end = found
    return rest[:end].rpartition("@")[2].lower()


def storage_key_of(value: str, settings: Settings) -> str | None:
    """The key in our bucket that `value` names (a URL of our storage or a bare key), or None when
    `value` is not about our storage. A URL of our storage outside our bucket is FORBIDDEN."""
    if value.startswith(KEY_PREFIX):
        return value
    if not _is_url(value) or _host_of(value) not in _own_hosts(settings.s3_public_endpoint, settings.s3_endpoint):
        return None
    path = urlsplit(value).path
    prefix = f"/{settings.s3_bucket}/"
    if not path.startswith(prefix):
        raise Forbidden(f"{value[:200]} points into labelgate's storage but outside its bucket.")
    return unquote(path[len(prefix) :])


def is_external_url(value: str, settings: Settings) -> bool:
    """True when `value` is an http(s) URL outside our storage: stored as given, with nothing to check
    or look up (what `resolve_contents` makes of it), so bulk writes may skip building a request for it."""
    return _is_url(value) and _host_of(value) not in _own_hosts(settings.s3_public_endpoint, settings.s3_endpoint)


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _mime_of(key: str, stored_type: str | None) -> str | None:
    """The stored Content-Type, unless it says nothing (then a guess from the key's extension)."""
    if stored_type and stored_type.lower() not in _UNTYPED:
        return stored_type
    return mimetypes.guess_type(key)[0] or stored_type or None


async def _image_resolution(storage: Storage, key: str) -> tuple[float, float] | None:
    try:
        head = await storage.read_head(key, IMAGE_HEAD_BYTES)
    except S3Error:
        return None
    width, height = imagesize.get(io.BytesIO(head))
    if width <= 0 or height <= 0:
        return None
    return float(width), float(height)


async def _resolve_stored(storage: Storage, request: ContentRequest, key: str) -> StoredContent:
    info = await storage.stat(key)
    if info is None:
        raise BadUserInput(
            f"{request.item}: no uploaded object '{key}' "
            "(upload it first, with a URL from createUploadBucketSignedUrls)."
        )
    mime = _mime_of(key, info.content_type)
    resolution = await _image_resolution(storage, key) if mime and mime.startswith("image/") else None
    return StoredContent(
        content="",
        storage_key=key,
        mime_type=mime,
        size_bytes=info.size,
        width=resolution[0] if resolution else None,
        height=resolution[1] if resolution else None,
    )


def _resolve_local(request: ContentRequest, settings: Settings) -> StoredContent | str:
    """Everything that needs no I/O; a key string when the object must be looked up."""
    value = request.value
    if value == "":
        return StoredContent(content="")
    try:
        key = storage_key_of(value, settings)
    except Forbidden as exc:
        raise Forbidden(f"{request.item}: {exc.message}") from None
    if key is not None:
        if project_of_key(key) != request.project_id:
            raise Forbidden(
                f"{request.item}: the object '{key}' does not belong to project '{request.project_id}' "
                f"(uploaded objects must lie under projects/{request.project_id}/...)."
            )
        return key
    if _is_url(value):
        return StoredContent(content=value)
    if request.input_type in TEXT_INPUT_TYPES:
        return StoredContent(content=value, mime_type="text/plain", size_bytes=len(value.encode()))
    raise BadUserInput(
        f"{request.item}: content must be an http(s) URL, a signed URL or key (projects/{request.project_id}/...) "
        f"of an uploaded object; raw text is only accepted in TEXT and LLM projects, not {request.input_type}."
    )


async def resolve_contents(
    storage: Storage, settings: Settings, requests: Sequence[ContentRequest]
) -> list[StoredContent]:
    """Resolves every request, checking uploaded objects concurrently (at most STORAGE_CONCURRENCY S3
    calls at a time). On bad input, raises the error of the first bad item in input order. When S3
    cannot be reached, raises ServiceUnavailable after the first calls that found out (the others are
    not tried: each would wait for its own timeout)."""
    local = [_resolve_local(r, settings) for r in requests]
    pending = [(i, value) for i, value in enumerate(local) if isinstance(value, str)]
    if not pending:
        return local  # type: ignore[return-value]  (no key strings left)
    semaphore = asyncio.Semaphore(STORAGE_CONCURRENCY)
    unavailable: list[ServiceUnavailable] = []

    async def one(index: int, key: str) -> StoredContent | GatewayError:
        async with semaphore:
            if unavailable:
                return unavailable[0]
            try:
                return await _resolve_stored(storage, requests[index], key)
            except ServiceUnavailable as exc:
                unavailable.append(exc)
                return exc
            except GatewayError as exc:
                return exc

    results = await asyncio.gather(*(one(i, key) for i, key in pending))
    if unavailable:
        raise unavailable[0]
    for (index, _), result in zip(pending, results, strict=True):
        if isinstance(result, GatewayError):
            raise result
        local[index] = result
    return local  # type: ignore[return-value]
