"""The audit log: who created, superseded, revoked or deleted what, when — append-only.

Rows are written in the same transaction as the change they record, so a rolled-back change
leaves no audit row and a committed one always has its row. There is no update or delete path.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Table, insert
from sqlmodel import Field, Session, SQLModel

from app.core.db import insert_rows
from app.core.models import _timestamp, utc_now


class AuditEvent(SQLModel, table=True):
    """One create, supersede, revoke or delete. Append-only: nothing updates or deletes rows."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    resource: str = Field(max_length=40)
    resource_id: str = Field(max_length=64)
    payload_sha256: str = Field(max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()


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
    # The row's values straight into one INSERT: building an AuditEvent instance first (ORM
    # instrumentation) cost more than the statement, on every write of every request.
    session.connection().execute(
        insert(AUDIT_TABLE),
        audit_values(organisation_id, actor, action, resource, resource_id, payload, details),
    )


AUDIT_TABLE: Table = AuditEvent.__table__  # type: ignore[attr-defined]


def audit_values(
    organisation_id: uuid.UUID,
    actor: str,
    action: str,
    resource: str,
    resource_id: Any,
    payload: Any,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one audit row (for an INSERT written together with its change)."""
    return {
        "organisation_id": organisation_id,
        "actor": actor[:200],
        "action": action,
        "resource": resource,
        "resource_id": str(resource_id),
        "payload_sha256": payload_digest(payload),
        "details": details or {},
        "created_at": utc_now(),
    }


def record_many(
    session: Session,
    organisation_id: uuid.UUID,
    actor: str,
    events: Sequence[tuple[str, str, Any, Any]],
) -> None:
    """:func:`record` for many (action, resource, resource id, payload) at once, in one INSERT:
    a computation that stores thousands of rows audits each without a round trip per row
    (none for no events: :func:`app.core.db.insert_rows` writes nothing then)."""
    insert_rows(
        session,
        AUDIT_TABLE,
        [
            audit_values(organisation_id, actor, action, resource, resource_id, payload)
            for action, resource, resource_id, payload in events
        ],
    )
