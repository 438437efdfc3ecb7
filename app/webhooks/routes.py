"""``/v1/webhooks``: register, list and delete endpoints; read each one's delivery log."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlmodel import col, select

from app.access.deps import AdminDep, RepoDep
from app.core.deps import SettingsDep
from app.core.errors import InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import (
    AttemptPublic,
    DeliveriesPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)
from app.webhooks.urls import UnsafeUrl, check_url
from lca.errors import FieldProblem

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _endpoint(repo: OrgRepository, webhook_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = repo.get(WebhookEndpoint, webhook_id, "webhook")
    if endpoint.deleted_at is not None:
        raise NotFound(f"no webhook with id {webhook_id}")
    return endpoint


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(
    payload: WebhookCreate, repo: RepoDep, _: AdminDep, response: Response, settings: SettingsDep
) -> WebhookCreated:
    """Register a URL for events; the signing secret is shown only in this response."""
    try:
        check_url(payload.url, settings)
    except UnsafeUrl as exc:
        raise InvalidInput(
            f"webhook URL refused: {exc}",
            [FieldProblem(("url",), str(exc))],
        ) from None
    endpoint = WebhookEndpoint(
        organisation_id=repo.organisation_id,
        url=payload.url,
        event_types=sorted(set(payload.event_types)),
        description=payload.description,
        secret="whsec_" + secrets.token_urlsafe(32),
    )
    repo.add(endpoint)
    repo.session.flush()
    # The signing secret is not part of the audited payload: the log is no place for secrets.
    repo.audit(
        "create",
        "webhook",
        endpoint.id,
        {"url": endpoint.url, "event_types": endpoint.event_types},
    )
    response.headers["Location"] = f"/v1/webhooks/{endpoint.id}"
    return WebhookCreated(
        **WebhookPublic.model_validate(endpoint, from_attributes=True).model_dump(),
        secret=endpoint.secret,
    )


@router.get("", response_model=WebhooksPublic)
def list_webhooks(repo: RepoDep) -> WebhooksPublic:
    """The organisation's webhooks (never their secrets)."""
    rows = repo.session.exec(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.organisation_id == repo.organisation_id,
            col(WebhookEndpoint.deleted_at).is_(None),
        )
        .order_by(col(WebhookEndpoint.created_at))
    ).all()
    data = [WebhookPublic.model_validate(row, from_attributes=True) for row in rows]
    return WebhooksPublic(data=data, count=len(data))


@router.get("/{webhook_id}", response_model=WebhookPublic)
def get_webhook(webhook_id: uuid.UUID, repo: RepoDep) -> WebhookPublic:
    """One webhook (without its secret)."""
    return WebhookPublic.model_validate(_endpoint(repo, webhook_id), from_attributes=True)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: uuid.UUID, repo: RepoDep, _: AdminDep) -> Response:
    """Stop sending events to this URL; its delivery log stays readable."""
    endpoint = _endpoint(repo, webhook_id)
    endpoint.deleted_at = datetime.now(UTC)
    repo.session.add(endpoint)
    repo.audit("delete", "webhook", endpoint.id, {"deleted_at": endpoint.deleted_at.isoformat()})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPublic)
def list_deliveries(
    webhook_id: uuid.UUID,
    repo: RepoDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveriesPublic:
    """Recent deliveries to this webhook, newest first, each with every attempt's outcome."""
    endpoint = repo.get(WebhookEndpoint, webhook_id, "webhook")
    deliveries = repo.session.exec(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.organisation_id == repo.organisation_id,
            WebhookDelivery.endpoint_id == endpoint.id,
        )
        .order_by(col(WebhookDelivery.created_at).desc())
        .limit(limit)
    ).all()
    attempts = repo.session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_([d.id for d in deliveries]))
        .order_by(col(WebhookAttempt.number))
    ).all()
    by_delivery: dict[uuid.UUID, list[AttemptPublic]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(
            AttemptPublic.model_validate(attempt, from_attributes=True)
        )
    data = [
        DeliveryPublic(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempts=by_delivery.get(d.id, []),
            created_at=d.created_at,
            finished_at=d.finished_at,
        )
        for d in deliveries
    ]
    return DeliveriesPublic(data=data, count=len(data))
