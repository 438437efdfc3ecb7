"""Settings, read once from the environment (prefix ``CELLCARBON_``) and validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lca.catalogue import DEFAULT_DATA_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CELLCARBON_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/cellcarbon.db",
        description="SQLAlchemy URL; SQLite by default, postgresql+psycopg://… in production",
    )
    brightway_dir: Path = Field(default=Path("./var/brightway"))
    data_dir: Path = Field(default=DEFAULT_DATA_DIR)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="request body limit")
    max_batch_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="body limit of POST /v1/footprints/batch (10,000 variants, some whole BOMs)",
    )
    page_limit_max: int = Field(default=200, gt=0)
    broker_url: str | None = Field(
        default=None,
        description="redis://… runs jobs on Celery workers (cellcarbon worker); unset: in-process",
    )
    job_stale_after_s: float = Field(
        default=60.0, gt=0, description="a running job without heartbeat for this long is retaken"
    )
    job_visibility_timeout_s: int = Field(
        default=3600, gt=0, description="broker redelivers an unacknowledged job after this long"
    )
    job_sweep_interval_s: float = Field(
        default=5.0,
        ge=0,
        description="how often each API and worker process looks for due queued jobs and running "
        "jobs gone quiet, and submits them again (0: never; pending work then waits for a submit)",
    )
    rate_limit_per_minute: int = Field(
        default=1200, gt=0, description="requests per API key per minute, per worker process"
    )

    # TLS (`cellcarbon serve --tls-cert/--tls-key`; PACT requires HTTPS).
    tls_cert: Path | None = Field(default=None, description="PEM certificate chain for HTTPS")
    tls_key: Path | None = Field(default=None, description="PEM private key for HTTPS")
    # PACT host and client.
    pact_issuer_domain: str = Field(
        default="cellcarbon.local",
        pattern=r"^[a-z0-9.-]+$",
        description="domain in the urn:pact:<domain>:… product and company ids we publish",
    )
    pact_declared_unit: Literal["piece", "kilowatt hour"] = Field(default="piece")
    pact_token_ttl_s: int = Field(default=3600, gt=0)
    pact_ca_bundle: Path | None = Field(
        default=None, description="CA bundle trusted for outgoing PACT calls (default: system)"
    )
    pact_http_timeout_s: float = Field(default=5.0, gt=0)
    pact_callback_attempts: int = Field(default=6, ge=1)
    pact_callback_backoff_s: float = Field(
        default=2.0, ge=0, description="first retry delay; doubles on every further attempt"
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
