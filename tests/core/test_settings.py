"""One Settings class: the environment names users already set keep working, and seconds-valued
fields end in ``_s`` whatever their environment name."""

from __future__ import annotations

import pytest

from app.core.settings import Settings


def test_webhook_seconds_keep_their_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELLCARBON_WEBHOOK_BACKOFF_SECONDS", "3")
    monkeypatch.setenv("CELLCARBON_WEBHOOK_TIMEOUT_SECONDS", "4.5")
    settings = Settings()
    assert settings.webhook_backoff_s == 3
    assert settings.webhook_timeout_s == 4.5


def test_former_webhook_and_idempotency_settings_read_their_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CELLCARBON_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("CELLCARBON_WEBHOOK_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("CELLCARBON_WEBHOOK_WORKERS", "7")
    monkeypatch.setenv("CELLCARBON_IDEMPOTENCY_TTL_HOURS", "2")
    settings = Settings()
    assert settings.webhook_allow_private is True
    assert (settings.webhook_max_attempts, settings.webhook_workers) == (3, 7)
    assert settings.idempotency_ttl_hours == 2


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BACKOFF_SECONDS", "TIMEOUT_SECONDS", "ALLOW_PRIVATE", "MAX_ATTEMPTS"):
        monkeypatch.delenv(f"CELLCARBON_WEBHOOK_{name}", raising=False)
    settings = Settings()
    assert (settings.webhook_backoff_s, settings.webhook_timeout_s) == (10.0, 10.0)
    assert settings.webhook_allow_private is False
    assert settings.webhook_max_attempts == 6


def test_constructors_take_the_field_names() -> None:
    settings = Settings(webhook_backoff_s=0.05, webhook_timeout_s=2)
    assert (settings.webhook_backoff_s, settings.webhook_timeout_s) == (0.05, 2.0)


def test_out_of_range_values_are_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELLCARBON_WEBHOOK_BACKOFF_SECONDS", "0")
    with pytest.raises(ValueError, match="webhook_backoff_s|BACKOFF"):
        Settings()
