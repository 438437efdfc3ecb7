"""Bodies of the signing routes: keys as published, and verification."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import UtcDatetime


class SigningKeyPublic(BaseModel):
    """A signing key as its organisation sees it: never its private part."""

    kid: str = Field(description="RFC 7638 thumbprint of the public key")
    status: Literal["active", "retired"]
    created_at: UtcDatetime
    retired_at: UtcDatetime | None
    public_jwk: dict[str, Any]


class SigningKeysPublic(BaseModel):
    data: list[SigningKeyPublic]
    count: int


class VerifyIn(BaseModel):
    """A compact JWS and, for a detached one (or to compare), the content it signs."""

    model_config = ConfigDict(extra="forbid")

    jws: str = Field(min_length=1, description="compact JWS (attached, or detached: 'head..sig')")
    content: str | dict[str, Any] | list[Any] | None = Field(
        default=None,
        description="the signed content: a string is base64 of the bytes (a file); an object or "
        "array is a JSON document (checked in its RFC 8785 canonical form)",
    )


class SignerPublic(BaseModel):
    id: uuid.UUID
    name: str


class VerificationPublic(BaseModel):
    """A signature that verified: by whom, with which key, over what."""

    valid: Literal[True] = True
    kid: str
    key_status: Literal["active", "retired"]
    organisation: SignerPublic
    content_type: str = Field(description="the JWS cty header: what the content is")
    canonical_json: bool = Field(description="signed over the RFC 8785 form of a JSON document")
    content_sha256: str = Field(description="SHA-256 of the signed bytes")
    content: Any = Field(default=None, description="the signed JSON document, when it is one")
