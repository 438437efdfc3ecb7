"""Columns every table shares: UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlmodel import Field


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp() -> Any:
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)
