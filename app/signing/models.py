"""Tables of the signing slice: each organisation's Ed25519 signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from app.core.models import _timestamp


class OrganisationSigningKey(SQLModel, table=True):
    """One Ed25519 key pair of an organisation. The active one signs; retired ones stay for
    verifying what they signed. The private key is a PKCS#8 PEM, Fernet-encrypted when the
    server has a signing secret (``encryption`` says which)."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=64)  # RFC 7638 thumbprint, 43 characters
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    # The organisation's id while this key is its active one, NULL once retired: the unique
    # constraint allows one active key per organisation (NULLs never collide), so two requests
    # that both find no key cannot both create one.
    active_for: uuid.UUID | None = Field(default=None, unique=True)
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    private_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    encryption: str = Field(max_length=20)  # "fernet" or "none"
    created_at: datetime = _timestamp()
    retired_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
