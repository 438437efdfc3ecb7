"""The audit log: who created, superseded, revoked or deleted what, when — append-only.

Rows are written in the same transaction as the change they record, so a rolled-back change
leaves no audit row and a committed one always has its row. There is no update or delete path.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlmodel import Session

from app.access.models import AuditEvent
from app.db import insert_now


def payload_digest(payload: Any) -> str:
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


CLI_ACTOR = "cli"


def record(
    session: Session,
    organisation_id: uuid.UUID,
    actor: str,
    action: str,
    resource: str,
    resource_id: Any,
    payload: Any,
    details: dict[str, Any] | None = None,
) -> None:
    insert_now(
        session,
        AuditEvent(
            organisation_id=organisation_id,
            actor=actor[:200],
            action=action,
            resource=resource,
            resource_id=str(resource_id),
            payload_sha256=payload_digest(payload),
            details=details or {},
        ),
    )
