"""Bodies of the key, invitation and audit endpoints."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.core.schemas import Page, Strict, UtcDatetime


class KeyCreate(Strict):
    name: str = Field(min_length=1, max_length=100, examples=["procurement integration"])
    scopes: list[Literal["read", "write", "admin"]] = Field(min_length=1, max_length=3)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class InvitationCreate(Strict):
    name: str = Field(default="supplier key", min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class KeyPublic(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    supplier_id: uuid.UUID | None
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class KeyCreated(KeyPublic):
    token: str = Field(description="the API key; shown only in this response")


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int


class AuditEventPublic(BaseModel):
    id: int
    actor: str
    action: str
    resource: str
    resource_id: str
    payload_sha256: str
    details: dict[str, Any]
    created_at: UtcDatetime


class AuditPublic(Page[AuditEventPublic]):
    pass
