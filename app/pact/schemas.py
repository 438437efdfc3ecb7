"""Request and response bodies of the PACT sharing routes under /v1/pact (the data owner's side)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from app.core.schemas import Strict, UtcDatetime


class PactClientCreate(Strict):
    name: str = Field(
        min_length=1,
        max_length=200,
        description="the customer organisation the credentials are for",
        examples=["Automaker"],
    )


class PactClientPublic(BaseModel):
    id: uuid.UUID = Field(description="the OAuth2 client_id")
    name: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None


class PactClientCreated(PactClientPublic):
    client_secret: str = Field(description="shown only in this response; stored as a SHA-256")


class PactClientsPublic(BaseModel):
    data: list[PactClientPublic]
    count: int


class ShareCreate(Strict):
    footprint_id: uuid.UUID


class SharePublic(BaseModel):
    client_id: uuid.UUID
    footprint_id: uuid.UUID
    created_at: UtcDatetime


class SharesPublic(BaseModel):
    data: list[SharePublic]
    count: int


class SharingRuleCreate(Strict):
    client_id: uuid.UUID
    bom_id: uuid.UUID = Field(description="the cell model: every footprint of this BOM")
    share_latest: bool = Field(
        default=True, description="also share the BOM's newest stored footprint now"
    )


class SharingRulePublic(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    bom_id: uuid.UUID
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None


class SharingRulesPublic(BaseModel):
    data: list[SharingRulePublic]
    count: int
