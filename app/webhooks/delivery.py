"""Emitting events and delivering them: signed POSTs run as durable jobs, with retries.

:func:`emit` writes ``webhook_delivery`` rows and, for each, a ``webhook.deliver`` job in the
caller's session; the jobs are submitted when that session commits (a SQLAlchemy
``after_commit`` hook), so a rolled-back request announces nothing and a receiver never hears of
a footprint that is not stored. Each attempt is a row in ``webhook_attempt``; after a failure
the job asks to be retried in ``webhook_backoff_s × 2^(n-1)``, up to ``webhook_max_attempts``.
Pending deliveries are rows, not threads: after a restart the sweeper resubmits them.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import __version__
from app.core.observability import request_id_header
from app.core.settings import Settings
from app.jobs.queue import WEBHOOK_DELIVER, JobContext, RetryLater, new_job, register_job_kind
from app.jobs.submit import submit_after_commit
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import SIGNATURE_HEADER, signature_header
from app.webhooks.urls import UnsafeUrl, check_url, guarded_client

logger = logging.getLogger("cellcarbon.webhooks")

FOOTPRINT_COMPLETED = "footprint.completed"
REPORT_READY = "report.ready"
PACT_REQUEST_FULFILLED = "pact.request.fulfilled"
LOT_FOOTPRINT_READY = "lot.footprint.ready"
EVENT_TYPES = (FOOTPRINT_COMPLETED, REPORT_READY, PACT_REQUEST_FULFILLED, LOT_FOOTPRINT_READY)


_ENDPOINTS = WebhookEndpoint.__table__  # type: ignore[attr-defined]
# Two columns, not whole rows, as a Core statement built once: this runs on every footprint
# (with its INSERT: app.core.db.Reads), mostly to find no subscriber.
ENDPOINTS_OF = select(_ENDPOINTS.c.id, _ENDPOINTS.c.event_types).where(
    _ENDPOINTS.c.organisation_id == bindparam("organisation_id"),
    _ENDPOINTS.c.deleted_at.is_(None),
)


def emit(
    session: Session,
    organisation_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    settings: Settings | None = None,
    endpoints: Sequence[Sequence[Any]] | None = None,
) -> list[uuid.UUID]:
    """Queue ``event_type`` with ``payload`` (JSON-able) for every endpoint of the organisation
    that subscribed to it; sent once ``session`` commits, by the workers ``settings`` name
    (default: the process's settings). Returns the delivery ids. ``endpoints``: the rows of
    :data:`ENDPOINTS_OF` for the organisation, read earlier in this transaction."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}; known: {EVENT_TYPES}")
    # Read on every event (in its transaction), so that an endpoint created on another worker
    # hears the next one.
    if endpoints is None:
        endpoints = (
            session.connection().execute(ENDPOINTS_OF, {"organisation_id": organisation_id}).all()
        )
    subscribed = [
        uuid.UUID(str(endpoint_id)) for endpoint_id, types in endpoints if event_type in types
    ]
    if not subscribed:
        return []
    event_id = uuid.uuid4()
    body = json.dumps(
        {
            "id": str(event_id),
            "type": event_type,
            "created_at": datetime.now(UTC).isoformat(),
            "organisation_id": str(organisation_id),
            "data": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    deliveries = [
        WebhookDelivery(
            organisation_id=organisation_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            body=body,
        )
        for endpoint_id in subscribed
    ]
    session.add_all(deliveries)
    session.flush()
    for delivery in deliveries:
        job = new_job(session, organisation_id, WEBHOOK_DELIVER, delivery.id, {})
        submit_after_commit(session, job.id, WEBHOOK_DELIVER, settings)
    return [d.id for d in deliveries]


class DeliveryFailed(RuntimeError):
    """The receiver did not accept the event within the attempts allowed, or cannot be sent to."""


def delivery_attempts(settings: Settings) -> int:
    return settings.webhook_max_attempts


def run_delivery(context: JobContext) -> dict[str, Any]:
    """The job of one delivery: one attempt, then RetryLater while attempts remain."""
    assert context.subject_id is not None
    attempted = attempt_delivery(
        context.engine, context.subject_id, context.settings, last_chance=context.final_attempt
    )
    if attempted.status == "pending":
        assert attempted.retry_in is not None
        raise RetryLater(attempted.retry_in, attempted.error or "not delivered")
    if attempted.status == "failed":
        raise DeliveryFailed(f"{attempted.error} (after {attempted.attempts} attempts)")
    return {
        "delivery_id": str(context.subject_id),
        "status": attempted.status,
        "attempts": attempted.attempts,
    }


@dataclass(frozen=True)
class Attempted:
    """A delivery after an attempt: its status, attempts so far, the last error, and the wait
    before the next attempt (None unless still pending)."""

    status: str
    attempts: int
    error: str | None = None
    retry_in: float | None = None


def attempt_delivery(
    engine: Engine, delivery_id: uuid.UUID, settings: Settings, *, last_chance: bool = False
) -> Attempted:
    """Make the next attempt of one delivery and log it. A delivery that is already finished is
    left alone (a job re-run after a crash sends nothing twice that was recorded)."""
    with Session(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return Attempted("failed", 0, "delivery not found")
        if delivery.status != "pending":
            return Attempted(delivery.status, delivery.attempts, "finished earlier")
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        assert endpoint is not None  # foreign key
        number = delivery.attempts + 1
        started = datetime.now(UTC)
        clock = time.perf_counter()
        status_code, error, final = _post(endpoint, delivery, settings)
        session.add(
            WebhookAttempt(
                organisation_id=delivery.organisation_id,
                delivery_id=delivery.id,
                number=number,
                status_code=status_code,
                error=error[:500] if error else None,
                duration_ms=round((time.perf_counter() - clock) * 1000, 1),
                started_at=started,
            )
        )
        delivery.attempts = number
        succeeded = status_code is not None and 200 <= status_code < 300
        if succeeded or final or last_chance or number >= settings.webhook_max_attempts:
            delivery.status = "succeeded" if succeeded else "failed"
            delivery.finished_at = datetime.now(UTC)
        session.add(delivery)
        session.commit()
        if delivery.status != "pending":
            return Attempted(delivery.status, number, error)
        retry_in = settings.webhook_backoff_s * 2 ** (number - 1)
        return Attempted("pending", number, error, retry_in)


def _post(
    endpoint: WebhookEndpoint, delivery: WebhookDelivery, settings: Settings
) -> tuple[int | None, str | None, bool]:
    """(status code, error, final): ``final`` means retrying cannot help."""
    if endpoint.deleted_at is not None:
        return None, "endpoint deleted", True
    try:
        check_url(endpoint.url, settings)
    except UnsafeUrl as exc:
        return None, f"refused: {exc}", True
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"CellCarbon-Webhooks/{__version__}",
        "CellCarbon-Event": delivery.event_type,
        "CellCarbon-Event-Id": str(delivery.event_id),
        "CellCarbon-Delivery": str(delivery.id),
        SIGNATURE_HEADER: signature_header(endpoint.secret, body),
        **request_id_header(),  # the request that caused the event, for the receiver's logs
    }
    try:
        with guarded_client(settings, timeout=settings.webhook_timeout_s) as http:
            response = http.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        # A peer refused by the guard is final: the name resolves into a private network now.
        refused = isinstance(exc, httpx.ConnectError) and str(exc).startswith("refused")
        return None, f"{exc.__class__.__name__}: {exc}", refused
    error = None if response.is_success else f"HTTP {response.status_code}"
    return response.status_code, error, False


register_job_kind(WEBHOOK_DELIVER, run_delivery, delivery_attempts)
