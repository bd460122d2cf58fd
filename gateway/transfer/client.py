"""A small asynchronous GraphQL client for labelgate's public API (httpx, keep-alive, one pool)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import urllib3

# Answers worth another try after a pause: rate limited, storage or database briefly away.
_RETRY_CODES = {"RATE_LIMITED", "SERVICE_UNAVAILABLE"}
_RETRIES = 5


class TransferError(Exception):
    """A failure shown to the user as one line, without a traceback."""


class ApiError(TransferError):
    """A GraphQL error answered by the gateway: its message and `extensions.code`."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.message = message
        self.code = code


class GraphQLClient:
    """Posts GraphQL documents to `<url>/graphql` with an API key; PUTs bytes to signed URLs."""

    def __init__(self, url: str, key: str, *, connections: int = 10) -> None:
        self.endpoint = url.rstrip("/") + "/graphql"
        self._headers = {"X-API-Key": key}
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(120.0, connect=10.0),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    async def __aenter__(self) -> GraphQLClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of the answer; the first GraphQL error as an ApiError (retried when transient)."""
        for attempt in range(_RETRIES + 1):
            try:
                return await self._execute_once(query, variables)
            except ApiError as exc:
                if exc.code not in _RETRY_CODES or attempt == _RETRIES:
                    raise
                await asyncio.sleep(min(0.5 * 2**attempt, 8.0))
        raise AssertionError("unreachable")

    async def _execute_once(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        try:
            response = await self._http.post(
                self.endpoint, json={"query": query, "variables": variables or {}}, headers=self._headers
            )
        except httpx.TransportError as exc:
            raise TransferError(f"cannot reach {self.endpoint}: {exc or type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise TransferError(
                f"{self.endpoint} answered HTTP {response.status_code} without JSON: {response.text[:200]!r}"
            ) from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0]
            raise ApiError(str(first.get("message")), (first.get("extensions") or {}).get("code"))
        if response.status_code >= 400 or not isinstance(body.get("data"), dict):
            raise TransferError(f"{self.endpoint} answered HTTP {response.status_code}: {response.text[:200]!r}")
        return body["data"]


class Uploader:
    """PUTs local files to signed URLs from `parallel` threads with urllib3.

    Not httpx: an upload is one small request per asset, and httpx's asyncio stack costs ~1.5 ms of
    CPU a request, urllib3 a few times less (measured with bench/import_images.py), which on a
    shared machine is the import's ceiling. Reading the file happens in the same thread.
    """

    def __init__(self, parallel: int) -> None:
        self._pool = urllib3.PoolManager(
            maxsize=parallel,
            retries=urllib3.Retry(total=3, connect=3, read=0, status=0, backoff_factor=0.2),
            timeout=urllib3.Timeout(connect=10.0, read=120.0),
        )
        self._threads = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="upload")

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._pool.clear()

    def _put(self, url: str, path: Path, content_type: str) -> None:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise TransferError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            response = self._pool.request("PUT", url, body=content, headers={"Content-Type": content_type})
        except urllib3.exceptions.HTTPError as exc:
            raise TransferError(f"upload failed: {exc}") from None
        if response.status >= 300:
            raise TransferError(f"upload refused by storage: HTTP {response.status} {response.data[:200]!r}")

    async def put_file(self, url: str, path: Path, content_type: str) -> None:
        """Upload the file at `path` to a signed PUT URL."""
        await asyncio.get_running_loop().run_in_executor(self._threads, self._put, url, path, content_type)
