"""Gateway settings, read from `LABELGATE_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Above the Kili SDK's own client-side limit (500 calls a minute per process, kili.core.constants).
DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class Settings(BaseSettings):
    """Everything an operator may set. With neither `database_url` nor `s3_endpoint` set,
    `labelgate serve` starts embedded PostgreSQL and S3 under `data_dir`."""

    model_config = SettingsConfigDict(env_prefix="LABELGATE_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL, e.g. postgresql+asyncpg://user:pw@host:5432/labelgate"
    )
    database_pool_size: int = 10
    database_pgbouncer: bool = Field(
        default=False,
        description="the database URL names PgBouncer in transaction pooling mode: no prepared statement "
        "outlives its statement and no statement_timeout is sent at connect (set it on the role; "
        "README, 'Behind PgBouncer')",
    )

    s3_endpoint: str | None = Field(default=None, description="host:port of the S3 API the gateway talks to")
    s3_public_endpoint: str | None = Field(
        default=None, description="host:port that signed URLs name (what clients reach); defaults to s3_endpoint"
    )
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "labelgate"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    signed_get_seconds: int = Field(default=900, description="lifetime of signed download URLs")
    signed_put_seconds: int = Field(default=3600, description="lifetime of signed upload URLs")
    s3_connect_timeout: float = Field(default=2.0, description="seconds to wait for a connection to S3")
    s3_read_timeout: float = Field(default=5.0, description="seconds to wait for S3 to answer a call")
    s3_retries: int = Field(default=1, description="retries of an S3 call after a connection error or a 5xx")
    storage_retry_seconds: float = Field(
        default=15.0,
        description="how often the background task retries removing the objects of deleted assets; "
        "also the first retry delay, doubled after each failure",
    )
    storage_retry_max_seconds: float = Field(default=3600.0, description="longest delay between two retries")

    max_page_size: int = 100
    max_list_length: int = Field(
        default=10_000, description="most items a list in the arguments of one field may hold (e.g. idIn)"
    )
    max_body_bytes: int = 64 * 1024 * 1024
    cors_origins: list[str] = Field(default_factory=list)
    graphql_suggestions: bool = Field(
        default=False,
        description="'Did you mean …?' hints in validation errors: they map the schema for whoever "
        "probes it, so they are off unless turned on for development",
    )
    query_planner: bool = Field(
        default=True,
        description="answer the queries the planner covers with one SQL statement that builds the JSON "
        "(resolvers.planner); false sends every document through the resolvers",
    )
    mutation_lane: bool = Field(
        default=True,
        description="answer mutations of one root field that ask for plain fields (`{ id }`) without "
        "graphql-core's executor (gateway.mutation_lane); false sends them through it",
    )

    request_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="time budget of one request, counted once its body has arrived: its work is cancelled when "
        "it runs out (TIMEOUT), and no SQL statement of the gateway runs longer (PostgreSQL statement_timeout)",
    )
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=0,
        description="requests a minute per API key (per client IP without a valid key), in each worker process; "
        "0 turns rate limiting off; unset: 600 with external services, off in embedded mode",
    )
    rate_limit_burst: int | None = Field(
        default=None,
        ge=1,
        description="requests a client may send at once before the per-minute rate applies; unset: the per-minute rate",
    )

    # Limits on what one GraphQL request may ask, checked before it runs (gateway/limits/; the README's
    # "Limits" section). Defaults follow graphql-armor's (1000 tokens, 15 aliases, 50 directives) where
    # our clients fit; the depth leaves room for the introspection query of GraphiQL and the Kili SDK
    # (15 levels), and the costs for the SDK's biggest documents (a bulk action's outcome: 30,001).
    max_document_bytes: int = Field(default=65_536, description="largest document (query text), refused unread")
    max_tokens: int = Field(default=1_000, description="most lexical tokens (comments too) the parser reads")
    max_depth: int = Field(default=20, description="deepest nesting of fields, introspection included")
    max_aliases: int = Field(default=15, description="most aliased fields, fragments expanded")
    max_directives: int = Field(default=50, description="most directive uses, fragments expanded")
    max_cost: int = Field(default=50_000, description="largest cost estimate of a request with a valid API key")
    max_anonymous_cost: int = Field(
        default=3_000, description="largest cost estimate without a valid API key (introspection only: 738 each)"
    )

    auth_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="how long a process trusts an API key the database confirmed, without asking again: "
        "revoking a key or deactivating its user takes effect within this delay (expiry at once); 0 turns it off",
    )
    auth_cache_size: int = Field(default=10_000, ge=1, description="most API keys one process remembers")

    gc_tuning: bool = Field(
        default=True,
        description="freeze what start-up leaves alive and collect garbage less often (gateway/gc_tuning.py)",
    )

    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text, or json: one JSON object a line (time, level, logger, message, request_id; "
        "access lines add method, path, status, duration_ms, operation)",
    )
    access_log: bool = Field(
        default=True,
        description="log a line for each answered request, with its request id (`serve --no-access-log` "
        "turns it off); run under uvicorn directly, also pass uvicorn `--no-access-log`",
    )
    metrics: bool = Field(default=True, description="serve Prometheus metrics at /metrics (gateway/metrics.py)")
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP endpoint to export traces to (gateway/tracing.py; needs the `otel` extra); "
        "unset: OTEL_EXPORTER_OTLP_ENDPOINT, and with neither no tracing",
    )

    data_dir: Path = Path(".labelgate")

    @property
    def embedded(self) -> bool:
        """True when no external database or S3 is configured."""
        return self.database_url is None and self.s3_endpoint is None

    @property
    def requests_per_minute(self) -> int:
        """The rate limit in force: 0 is off. Unset, it is off in embedded mode (one machine, one operator,
        loopback only: a limit would only slow their own imports) and 600 a minute otherwise, above the
        500 calls a minute a Kili SDK process allows itself, so one SDK process is never refused."""
        if self.rate_limit_per_minute is not None:
            return self.rate_limit_per_minute
        return 0 if self.embedded else DEFAULT_RATE_LIMIT_PER_MINUTE


@lru_cache
def get_settings() -> Settings:
    return Settings()
