"""Queries scoped to one organisation: the one place where tenancy and not-found are enforced."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from app.core.audit import AUDIT_TABLE, audit_values, record, record_many
from app.core.db import Reads, WriteGuard, insert_rows_now, row_values
from app.core.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)


class OrgRepository:
    """Reads and writes rows of one organisation; another organisation's rows do not exist here."""

    def __init__(
        self,
        session: Session,
        organisation_id: uuid.UUID,
        actor: str = "system",
        guard: WriteGuard | None = None,
    ) -> None:
        self.session = session
        self.organisation_id = organisation_id
        self.actor = actor
        # A condition (e.g. "the caller's key is valid") checked by the first insert_audited
        # write instead of a query of its own; see app.core.db.WriteGuard.
        self.guard = guard

    def audit(
        self, action: str, resource: str, resource_id: Any, payload: Any, **details: Any
    ) -> None:
        """Record a create/supersede/revoke/delete in the audit log, in this transaction."""
        record(
            self.session,
            self.organisation_id,
            self.actor,
            action,
            resource,
            resource_id,
            payload,
            details,
        )

    def insert_audited(
        self,
        row: SQLModel,
        action: str,
        resource: str,
        resource_id: Any,
        payload: Any,
        reads: Reads | None = None,
    ) -> None:
        """Write an immutable ``row`` of this organisation and its audit row at once (one round
        trip on PostgreSQL, ``reads`` answered by the same statement; see
        :func:`app.core.db.insert_rows_now`), outside the unit of work."""
        if getattr(row, "organisation_id", self.organisation_id) != self.organisation_id:
            raise ValueError("row belongs to another organisation")
        audit = audit_values(
            self.organisation_id, self.actor, action, resource, resource_id, payload
        )
        insert_rows_now(
            self.session,
            [(row.__table__, row_values(row)), (AUDIT_TABLE, audit)],  # type: ignore[attr-defined]
            self.guard,
            reads,
        )

    def audit_many(self, events: Sequence[tuple[str, str, Any, Any]]) -> None:
        """Record many (action, resource, resource id, payload) in one INSERT."""
        record_many(self.session, self.organisation_id, self.actor, events)

    def get(self, model: type[Row], row_id: uuid.UUID, what: str) -> Row:
        row = self.session.get(model, row_id)
        if row is None or getattr(row, "organisation_id", None) != self.organisation_id:
            raise NotFound(f"no {what} with id {row_id}")
        return row

    def page(
        self, model: type[Row], *, limit: int, offset: int, order_by: Any, where: Any = None
    ) -> tuple[list[Row], int]:
        """One page of the organisation's rows (``where``: a further condition, e.g. a search)."""
        owned = col(model.organisation_id) == self.organisation_id  # type: ignore[attr-defined]
        if where is not None:
            owned = owned & where
        total = self.session.exec(select(func.count()).select_from(model).where(owned)).one()
        rows = self.session.exec(
            select(model).where(owned).order_by(order_by).offset(offset).limit(limit)
        ).all()
        return list(rows), int(total)

    def children(
        self, model: type[Row], parent_column: Any, parent_id: Any, order_by: Any
    ) -> list[Row]:
        owned = col(model.organisation_id) == self.organisation_id  # type: ignore[attr-defined]
        statement = select(model).where(owned, parent_column == parent_id).order_by(order_by)
        return list(self.session.exec(statement).all())

    def add(self, row: SQLModel) -> None:
        if getattr(row, "organisation_id", self.organisation_id) != self.organisation_id:
            raise ValueError("row belongs to another organisation")
        self.session.add(row)
