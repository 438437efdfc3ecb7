"""Webhook settings (environment, prefix ``CELLCARBON_WEBHOOK_``), read on first use.

Kept apart from :class:`app.settings.Settings` so that the delivery worker, which runs outside
any request, reads them the same way in every process.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CELLCARBON_WEBHOOK_", extra="ignore")

    allow_private: bool = Field(
        default=False,
        description="allow URLs on loopback, private, link-local and other non-public addresses, "
        "and plain http (local development and tests only: otherwise an SSRF hole)",
    )
    max_attempts: int = Field(default=6, ge=1, le=20, description="attempts per delivery")
    backoff_seconds: float = Field(
        default=10.0,
        gt=0,
        description="wait before attempt 2, doubled after each failure: 10, 20, 40, 80, 160 s",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="per attempt, connect + read")
    workers: int = Field(
        default=4, ge=1, le=64, description="threads per process for deliveries and PACT replies"
    )


@lru_cache
def get_webhook_settings() -> WebhookSettings:
    return WebhookSettings()
