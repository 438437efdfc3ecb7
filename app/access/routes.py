from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Response, status
from sqlmodel import col

from app.access.deps import AdminDep, RepoDep
from app.access.keys import create_key, expiry
from app.access.models import ApiKey
from app.access.schemas import (
    AuditEventPublic,
    AuditPublic,
    InvitationCreate,
    KeyCreate,
    KeyCreated,
    KeyPublic,
    KeysPublic,
)
from app.core.audit import AuditEvent
from app.core.deps import PageDep, SettingsDep
from app.core.errors import InvalidInput
from app.suppliers.models import Supplier
from lca.errors import FieldProblem

router = APIRouter(prefix="/v1", tags=["access"])


def _created(key: ApiKey, token: str) -> KeyCreated:
    return KeyCreated(
        **KeyPublic.model_validate(key, from_attributes=True).model_dump(), token=token
    )


@router.post("/api-keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(payload: KeyCreate, repo: RepoDep, _: AdminDep) -> KeyCreated:
    """Create an API key for this organisation; the token is shown only in this response."""
    key, token = create_key(
        repo.session,
        repo.organisation_id,
        payload.name,
        list(payload.scopes),
        expires_at=expiry(payload.expires_in_days),
    )
    repo.audit("create", "api_key", key.id, {"name": key.name, "scopes": key.scopes})
    return _created(key, token)


@router.get("/api-keys", response_model=KeysPublic)
def list_api_keys(repo: RepoDep, _: AdminDep) -> KeysPublic:
    """The organisation's API keys (never their secrets)."""
    keys = repo.children(
        ApiKey, col(ApiKey.organisation_id), repo.organisation_id, col(ApiKey.created_at)
    )
    return KeysPublic(
        data=[KeyPublic.model_validate(k, from_attributes=True) for k in keys], count=len(keys)
    )


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: uuid.UUID, repo: RepoDep, _: AdminDep) -> Response:
    """Revoke an API key; it stops working at once. Revoking it again changes nothing."""
    key = repo.get(ApiKey, key_id, "API key")
    if key.revoked_at is not None:
        # DELETE is idempotent (RFC 9110 §9.2.2): a retried revocation succeeds, and the audit
        # log keeps the first one only.
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    key.revoked_at = datetime.now(UTC)
    repo.audit("revoke", "api_key", key.id, {"revoked_at": key.revoked_at.isoformat()})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/suppliers/{supplier_id}/invitations",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
)
def invite_supplier(
    supplier_id: uuid.UUID,
    payload: InvitationCreate,
    repo: RepoDep,
    settings: SettingsDep,
    _: AdminDep,
) -> KeyCreated:
    """A key for this supplier alone (admin keys only): it may submit and read its energy
    reports, nothing else, for at most ``CELLCARBON_SUPPLIER_KEY_MAX_DAYS``."""
    # Minting a key is an admin act: a write key could otherwise hand out credentials that
    # outlive its own revocation. The lifetime is capped so a leaked invitation dies by itself.
    days = payload.expires_in_days or settings.supplier_key_max_days
    if days > settings.supplier_key_max_days:
        raise InvalidInput(
            "invalid invitation",
            [
                FieldProblem(
                    ("body", "expires_in_days"),
                    f"a supplier key lives at most {settings.supplier_key_max_days} days; "
                    f"got {days}",
                    "less_than_equal",
                )
            ],
        )
    supplier = repo.get(Supplier, supplier_id, "supplier")
    key, token = create_key(
        repo.session,
        repo.organisation_id,
        payload.name,
        ["supplier-reports"],
        expires_at=expiry(days),
        supplier_id=supplier.id,
    )
    repo.audit(
        "create",
        "supplier_invitation",
        key.id,
        {"supplier_id": str(supplier.id), "expires_in_days": days},
    )
    return _created(key, token)


@router.get("/audit", response_model=AuditPublic)
def list_audit(repo: RepoDep, _: AdminDep, page: PageDep) -> AuditPublic:
    """The organisation's audit log, newest first (admin keys only)."""
    rows, total = repo.page(
        AuditEvent, limit=page.limit, offset=page.offset, order_by=col(AuditEvent.id).desc()
    )
    return AuditPublic(
        data=[AuditEventPublic.model_validate(r, from_attributes=True) for r in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )
