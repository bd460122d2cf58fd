"""Gateway settings, read from `LABELGATE_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may set. With neither `database_url` nor `s3_endpoint` set,
    `labelgate serve` starts embedded PostgreSQL and S3 under `data_dir`."""

    model_config = SettingsConfigDict(env_prefix="LABELGATE_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL, e.g. postgresql+asyncpg://user:pw@host:5432/labelgate"
    )
    database_pool_size: int = 10

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

    max_page_size: int = 100
    max_list_length: int = Field(
        default=10_000, description="most items a list in the arguments of one field may hold (e.g. idIn)"
    )
    max_body_bytes: int = 64 * 1024 * 1024
    cors_origins: list[str] = Field(default_factory=list)

    data_dir: Path = Path(".labelgate")

    @property
    def embedded(self) -> bool:
        """True when no external database or S3 is configured."""
        return self.database_url is None and self.s3_endpoint is None


@lru_cache
def get_settings() -> Settings:
    return Settings()
