"""Settings, read once from the environment (prefix ``CELLCARBON_``) and validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lca.catalogue import DEFAULT_DATA_DIR


class Settings(BaseSettings):
    # populate_by_name: constructors take field names where an alias keeps an old env name.
    model_config = SettingsConfigDict(
        env_prefix="CELLCARBON_", extra="ignore", populate_by_name=True
    )

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
    # Imported backgrounds (app/backgrounds).
    backgrounds_dir: Path | None = Field(
        default=None,
        description="where imported backgrounds and their uploads are kept "
        "(default: 'backgrounds' beside brightway_dir)",
    )
    max_background_upload_bytes: int = Field(
        default=4 * 1024**3,
        gt=0,
        description="body limit of POST /v1/backgrounds (an ecoinvent release 7z is ~1 GiB)",
    )
    backgrounds_memory_bytes: int = Field(
        default=1024**3,
        gt=0,
        description="imported engines kept in memory per process, least recently used evicted "
        "past this (an ecoinvent-sized engine holds ~107 MiB with its factorisation)",
    )
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
    footprint_computations_kept: int = Field(
        default=256,
        ge=0,
        description="computations each process keeps, so that another footprint of the same "
        "input (a BOM without supplier data, its stages, the year, the background version) is "
        "stored without computing it again; about 50 kB each for the NMC811 example: its result, "
        "the result's JSON text (15 kB) and its answer's (14 kB) (0: compute every footprint)",
    )
    rate_limit_per_minute: int = Field(
        default=1200, gt=0, description="requests per API key per minute, per worker process"
    )
    ui_sign_in_failures_per_minute: int = Field(
        default=10,
        gt=0,
        description="failed sign-ins to the web interface per client address per minute, per "
        "worker process (behind a proxy, every browser has the proxy's address)",
    )

    # TLS (`cellcarbon serve --tls-cert/--tls-key`; PACT requires HTTPS).
    tls_cert: Path | None = Field(default=None, description="PEM certificate chain for HTTPS")
    tls_key: Path | None = Field(default=None, description="PEM private key for HTTPS")
    pact_trusted_proxies: list[str] = Field(
        default=[],
        description="addresses of TLS-terminating proxies whose 'X-Forwarded-Proto: https' "
        'counts as HTTPS for the PACT API (served over HTTPS only); e.g. ["10.0.0.5"]',
    )
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
    # Signed outputs (app/signing).
    signing_secret: SecretStr | None = Field(
        default=None,
        description="encrypts organisations' private signing keys at rest (a long random "
        "string; keep it: keys encrypted with it cannot sign without it); unset: stored plain",
    )

    # Access and fair use: supplier keys, and how much queued work one organisation may hold.
    supplier_key_max_days: int = Field(
        default=400,
        ge=1,
        le=3650,
        description="longest lifetime of a supplier invitation key (days); invitations without "
        "an expiry get this one",
    )
    max_queued_jobs_per_org: int = Field(
        default=100,
        ge=1,
        description="queued and running jobs one organisation may have; more is refused with 429",
    )
    max_mc_iterations_per_org: int = Field(
        default=200_000,
        ge=1,
        description="Monte Carlo iterations one organisation may have queued or running at once",
    )

    # Idempotency keys (header Idempotency-Key on creating requests).
    idempotency_ttl_hours: float = Field(
        default=24.0, gt=0, description="how long a key and its stored response are kept"
    )

    # Webhooks (env CELLCARBON_WEBHOOK_*), also the outgoing client for PACT callbacks.
    webhook_allow_private: bool = Field(
        default=False,
        description="allow URLs on loopback, private, link-local and other non-public addresses, "
        "and plain http (local development and tests only: otherwise an SSRF hole)",
    )
    webhook_max_attempts: int = Field(default=6, ge=1, le=20, description="attempts per delivery")
    # Seconds-valued fields end in _s; the environment names users already set stay valid.
    webhook_backoff_s: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices(
            "CELLCARBON_WEBHOOK_BACKOFF_SECONDS", "CELLCARBON_WEBHOOK_BACKOFF_S"
        ),
        description="wait before attempt 2, doubled after each failure: 10, 20, 40, 80, 160 s",
    )
    webhook_timeout_s: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices(
            "CELLCARBON_WEBHOOK_TIMEOUT_SECONDS", "CELLCARBON_WEBHOOK_TIMEOUT_S"
        ),
        description="per attempt, connect + read",
    )
    webhook_workers: int = Field(
        default=4, ge=1, le=64, description="threads per process for deliveries and PACT replies"
    )

    @property
    def backgrounds_root(self) -> Path:
        """The directory of imported backgrounds (``backgrounds_dir`` or its default)."""
        return self.backgrounds_dir or self.brightway_dir.parent / "backgrounds"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once: the CLI and the app factory build what they inject
    from this; everything else is handed the Settings it uses."""
    return Settings()
