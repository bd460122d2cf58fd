"""The Kili SDK tests of both generations, reading and writing, against a live gateway that reaches
PostgreSQL through PgBouncer in transaction mode (2 server connections; LABELGATE_DATABASE_PGBOUNCER
on). The tests are those of tests/test_kili_sdk_read.py, tests/test_kili_sdk_write.py (kili 26.2.4)
and tests/test_kili_sdk_legacy.py (kili 2.164.0), collected here a second time under a prefix; only
`live_gateway` differs (the fixtures that seed and check go straight to PostgreSQL, as before)."""

from __future__ import annotations

import pytest

from tests import test_kili_sdk_legacy, test_kili_sdk_read, test_kili_sdk_write
from tests.live import LiveGateway

for _module, _prefix in (
    (test_kili_sdk_read, "test_read_"),
    (test_kili_sdk_write, "test_write_"),
    (test_kili_sdk_legacy, "test_legacy_"),
):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test):
            globals()[_prefix + _name.removeprefix("test_")] = _test


@pytest.fixture(scope="module")
def live_gateway(pgbouncer_settings):
    """The live gateway of these tests: through PgBouncer."""
    gateway = LiveGateway(pgbouncer_settings).start()
    yield gateway
    gateway.stop()


def test_the_sdk_tests_here_reach_the_gateway_behind_pgbouncer(live_gateway, pgbouncer) -> None:
    """`kili_connect` and `kili_legacy_connect` take `live_gateway` by name: here, this module's."""
    settings = live_gateway.server.config.app.state.services.settings
    assert settings.database_pgbouncer and f":{pgbouncer.port}/" in settings.database_url
