"""Response bodies of the health routes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.schemas import BackgroundVersion


class BackgroundInfo(BackgroundVersion):
    activities: int = Field(description="number of background activities")


class HealthPublic(BaseModel):
    status: str = Field(description="'ok' when the database is reachable and the background loaded")
    database: bool
    background: BackgroundInfo | None
    version: str


class LivenessPublic(BaseModel):
    status: str
    version: str


class ReadinessPublic(BaseModel):
    status: str = Field(description="'ready' or 'not ready'")
    checks: dict[str, bool]
