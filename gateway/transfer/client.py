"""A small asynchronous GraphQL client for labelgate's public API (httpx, keep-alive, one pool)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

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

    async def put(self, url: str, content: bytes, content_type: str) -> None:
        """Upload `content` to a signed PUT URL."""
        try:
            response = await self._http.put(url, content=content, headers={"Content-Type": content_type})
        except httpx.TransportError as exc:
            raise TransferError(f"upload failed: {exc or type(exc).__name__}") from None
        if response.status_code >= 300:
            raise TransferError(f"upload refused by storage: HTTP {response.status_code} {response.text[:200]!r}")
