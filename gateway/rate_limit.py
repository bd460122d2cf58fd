"""Rate limiting: a token bucket per API key, and per client IP for requests without a valid key.

The buckets live in the memory of each worker process: with N workers behind one port a client
may get up to N times the limit, depending on how the connections spread. Counting across
processes would need a shared store (Redis, PostgreSQL), a round trip on every request.

A request with an API key is charged to that key's bucket once the key has authenticated in this
process; until then (its first request, or a key that does not authenticate) it is charged to its
IP's bucket, so made-up keys cannot buy an attacker fresh buckets.

A refused request gets HTTP 429 with `Retry-After` and a JSON body
`{"message": ..., "extensions": {"code": "RATE_LIMITED", "retryAfterSeconds": n, "requestId": ...}}`:
one GraphQL error object, deliberately not wrapped in a GraphQL answer (`errors`). The Kili SDK's
transport (gql) reads any JSON body with `errors` or `data` as the GraphQL result and fails at
once; a 429 whose body is not one makes it wait `Retry-After` seconds and send the request again.
"""

from __future__ import annotations

import ipaddress
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import api_key_from_headers, hash_api_key
from gateway.errors import ErrorCode
from gateway.metrics import note_error
from gateway.settings import Settings

# Paths never limited: load balancers, orchestrators and Prometheus poll them.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Most clients (buckets) and authenticated keys one process remembers; past it, the least recently seen go.
MAX_TRACKED = 100_000


class TokenBucketLimiter:
    """`burst` tokens per client, refilled at `per_minute` a minute; a request takes one token.

    A client without a bucket has a full one, so buckets that have refilled are dropped when the
    table grows past `max_clients` (losing nothing); if that is not enough, the least recently
    used go (those clients get a full bucket back)."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        max_clients: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self.per_minute = per_minute
        self.burst = burst
        self.max_clients = max_clients
        self._per_second = per_minute / 60
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client → (tokens, at)

    def take(self, client: str) -> float:
        """Takes a token for `client`: 0.0 when the request may go ahead, else the seconds until it may.
        A refused request takes nothing."""
        now = self._clock()
        tokens, at = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self._per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self._per_second
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._forget_full(now)
        return wait

    def _forget_full(self, now: float) -> None:
        refill = self._per_second
        self._buckets = OrderedDict(
            (client, (tokens, at))
            for client, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * refill < self.burst
        )
        while len(self._buckets) > self.max_clients // 2:
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimiter:
    """Which bucket a request is charged to, and the buckets; `enabled` is False with a limit of 0."""

    def __init__(self, per_minute: int, burst: int | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.enabled = per_minute > 0
        self.per_minute = per_minute
        self.buckets = TokenBucketLimiter(per_minute, burst or per_minute, clock=clock) if self.enabled else None
        self._known_keys: OrderedDict[str, None] = OrderedDict()  # SHA-256 of keys that authenticated
        self.refused = 0  # requests answered 429 by this process

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(settings.requests_per_minute, settings.rate_limit_burst)

    def key_authenticated(self, key: str | None) -> None:
        """Called once `key` has authenticated: its requests are charged to its own bucket from now on."""
        if not self.enabled or not key:
            return
        digest = hash_api_key(key)
        self._known_keys[digest] = None
        self._known_keys.move_to_end(digest)
        if len(self._known_keys) > MAX_TRACKED:
            self._known_keys.popitem(last=False)

    def client_of(self, scope: Scope) -> str:
        """The bucket a request is charged to: `key:<sha256>` for a key known to authenticate, else `ip:<address>`."""
        key = api_key_from_headers(Headers(scope=scope))
        if key:
            digest = hash_api_key(key)
            if digest in self._known_keys:
                return f"key:{digest}"
        return f"ip:{client_network(scope)}"

    def wait_seconds(self, scope: Scope) -> float:
        """0.0 when the request may go ahead (it took a token), else the seconds before it may."""
        if self.buckets is None:
            return 0.0
        wait = self.buckets.take(self.client_of(scope))
        if wait > 0:
            self.refused += 1
        return wait


def client_network(scope: Scope) -> str:
    """The client's address as uvicorn reports it (with `--forwarded-allow-ips`, the one a trusted
    proxy forwarded). IPv6 clients count per /64, the block one host usually has to itself."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimitMiddleware:
    """Refuses requests over the limit with 429 `RATE_LIMITED` and `Retry-After`, before reading their body."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.limiter.enabled or scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self.limiter.wait_seconds(scope)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        request_id = scope.get("state", {}).get("request_id")
        extensions: dict[str, object] = {"code": ErrorCode.RATE_LIMITED.value, "retryAfterSeconds": retry_after}
        note_error(ErrorCode.RATE_LIMITED.value)
        if request_id:
            extensions["requestId"] = request_id
        message = (
            f"Rate limit exceeded ({self.limiter.per_minute} requests a minute per API key); retry in {retry_after} s."
        )
        body = json.dumps({"message": message, "extensions": extensions}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
