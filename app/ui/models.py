"""Tables of the web interface: signed-in browser sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field

from app.core.models import OrgRow


class UiSession(OrgRow, table=True):
    """A browser signed in with an API key. The cookie holds a random token; only its SHA-256 is
    kept here, with the id of the key it stands for (never the key itself), so revoking the key
    or signing out ends the session."""

    __tablename__ = "ui_session"

    api_key_id: uuid.UUID = Field(foreign_key="api_key.id", index=True)
    token_sha256: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
