"""Rate limiting: token buckets per API key and per client IP, 429 + Retry-After, and the Kili SDK
waiting and retrying on it instead of failing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx

from gateway.app import create_app
from gateway.errors import ErrorCode
from gateway.rate_limit import TokenBucketLimiter, client_network
from gateway.serve import _embedded_settings
from gateway.settings import Settings
from tests.factories import unique
from tests.live import LiveGateway

VIEWER = "query { viewer { email } }"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_the_rate_and_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == 1.0  # one token a second
    assert limiter.take("b") == 0.0  # another client has its own bucket
    clock.now += 0.25
    assert limiter.take("a") == 0.75  # a refused request took nothing
    clock.now += 0.75
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == 1.0
    clock.now += 3600
    assert [limiter.take("a") for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]  # refilled up to the burst, no more


def test_the_bucket_table_stays_bounded() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=60, burst=2, max_clients=100, clock=clock)
    for i in range(1000):
        limiter.take(f"ip:{i}")
        clock.now += 0.01
    assert len(limiter) <= 100
    # A client that just spent its burst is remembered (a fresh bucket would give it a new burst).
    limiter.take("busy")
    limiter.take("busy")
    for i in range(10):
        limiter.take(f"other:{i}")
    assert limiter.take("busy") > 0


def test_ipv6_clients_count_per_64_block() -> None:
    def network(host: str) -> str:
        return client_network({"client": (host, 1234)})

    assert network("2001:db8:1:2:aaaa::1") == network("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert network("2001:db8:1:3::1") != network("2001:db8:1:2::1")
    assert network("::ffff:192.0.2.7") == "192.0.2.7"
    assert network("192.0.2.7") == "192.0.2.7"
    assert client_network({"client": None}) == "unknown"


def test_the_default_is_off_in_embedded_mode_and_600_a_minute_otherwise() -> None:
    external = Settings(database_url="postgresql+asyncpg://db/x", s3_endpoint="s3:8333")
    assert external.requests_per_minute == 600
    assert Settings(database_url="postgresql+asyncpg://db/x", rate_limit_per_minute=0).requests_per_minute == 0
    embedded = Settings()
    assert embedded.embedded and embedded.requests_per_minute == 0
    # serve points the settings at the embedded services (no longer "embedded" by their look): still off.
    services = SimpleNamespace(
        database_url="postgresql+asyncpg://local/x",
        s3=SimpleNamespace(endpoint="127.0.0.1:8333"),
        credentials=SimpleNamespace(access_key="a", secret_key="s"),
    )
    assert _embedded_settings(embedded, services).requests_per_minute == 0
    assert _embedded_settings(Settings(rate_limit_per_minute=30), services).requests_per_minute == 30


@asynccontextmanager
async def limited_client(settings: Settings, **changes) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(settings.model_copy(update=changes))
    try:
        transport = httpx.ASGITransport(app=app, client=(unique("10.0.0"), 4321))  # an IP of its own per test
        async with httpx.AsyncClient(transport=transport, base_url="http://labelgate.test") as client:
            yield client, app
    finally:
        await app.state.services.engine.dispose()


def _post(client: httpx.AsyncClient, key: str | None = None):
    headers = {"Authorization": f"X-API-Key: {key}"} if key else {}
    return client.post("/graphql", json={"query": VIEWER}, headers=headers)


def _assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/json"
    assert "x-request-id" in response.headers
    body = response.json()
    # One error object, not a GraphQL answer: a body with "errors" would make the Kili SDK give up.
    assert "errors" not in body and "data" not in body
    assert body["extensions"]["code"] == ErrorCode.RATE_LIMITED.value
    assert body["extensions"]["retryAfterSeconds"] == 1
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "60 requests a minute" in body["message"]


async def test_each_key_has_its_bucket_and_requests_without_a_valid_key_share_their_ips(settings, seeder):
    org = await seeder.organization()
    _, key = await seeder.user(org)
    _, other_key = await seeder.user(org)
    async with limited_client(settings, rate_limit_per_minute=60, rate_limit_burst=3) as (client, app):
        # A key's first request is charged to its IP (it is not known to authenticate yet), the next to its own bucket.
        assert (await _post(client, key)).status_code == 200
        assert [(await _post(client, key)).status_code for _ in range(3)] == [200, 200, 200]
        _assert_rate_limited(await _post(client, key))
        # Another key is not held back by the first one's bucket.
        assert (await _post(client, other_key)).status_code == 200
        assert (await _post(client, other_key)).status_code == 200
        # The IP's bucket (3) paid for the two first requests; anonymous and made-up keys share what is left.
        assert (await _post(client)).json()["errors"][0]["extensions"]["code"] == ErrorCode.UNAUTHENTICATED.value
        _assert_rate_limited(await _post(client))
        _assert_rate_limited(await _post(client, "lg_made-up-key"))
        # Health checks are never limited.
        assert (await client.get("/healthz")).status_code == 200
        assert app.state.services.rate_limiter.refused == 3
        # Retry-After is enough.
        await asyncio.sleep(1)
        assert (await _post(client, key)).status_code == 200


async def test_rate_limiting_off_lets_everything_through(settings, seeder):
    org = await seeder.organization()
    _, key = await seeder.user(org)
    async with limited_client(settings, rate_limit_per_minute=0, rate_limit_burst=1) as (client, app):
        statuses = {(await _post(client, key)).status_code for _ in range(20)}
    assert statuses == {200}
    assert app.state.services.rate_limiter.refused == 0


async def test_the_kili_sdk_waits_and_retries_when_limited(settings, seeder, kili_driver):
    """120 a minute with a burst of 2: the SDK's constructor and calls overrun it, get 429, wait
    Retry-After and go through; the mutation is sent again without being applied twice."""
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "ADMIN"})
    gateway = LiveGateway(settings.model_copy(update={"rate_limit_per_minute": 120, "rate_limit_burst": 2})).start()
    try:
        limiter = gateway.server.config.app.state.services.rate_limiter
        start = time.monotonic()
        kili = kili_driver.connect(unique("limited"), key, f"{gateway.url}/api/label/v2/graphql")
        counts = [kili.count_projects() for _ in range(4)]
        title = unique("under-limit")
        created = kili.create_project(title=title, input_type="IMAGE", json_interface={"jobs": {}})
        elapsed = time.monotonic() - start
        assert counts == [1, 1, 1, 1]
        assert limiter.refused > 0, "the SDK was never limited: the test proves nothing"
        assert elapsed < 60
        assert kili.count_projects() == 2
        titles = [p["title"] for p in kili.projects()]
        assert sorted(titles) == sorted([project.title, title]) and created["id"]
    finally:
        gateway.stop()
