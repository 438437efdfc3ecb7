"""Emitting events and delivering them: signed POSTs from a small thread pool, with retries.

:func:`emit` only writes ``webhook_delivery`` rows in the caller's session; they are handed to
the worker when that session commits (a SQLAlchemy ``after_commit`` hook), so a rolled-back
request announces nothing and a receiver never hears of a footprint that is not stored. Each
attempt is a row in ``webhook_attempt``; after a failure the next attempt waits
``backoff_seconds × 2^(n-1)``, up to ``max_attempts``. Pending deliveries live in this process:
a restart abandons them (they stay ``pending`` in the log).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app import __version__
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.settings import get_webhook_settings
from app.webhooks.signing import SIGNATURE_HEADER, signature_header
from app.webhooks.urls import UnsafeUrl, check_url

logger = logging.getLogger("cellcarbon.webhooks")

FOOTPRINT_COMPLETED = "footprint.completed"
REPORT_READY = "report.ready"
PACT_REQUEST_FULFILLED = "pact.request.fulfilled"
EVENT_TYPES = (FOOTPRINT_COMPLETED, REPORT_READY, PACT_REQUEST_FULFILLED)

_PENDING = "cellcarbon.webhook_deliveries"
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def emit(
    session: Session, organisation_id: uuid.UUID, event_type: str, payload: dict[str, Any]
) -> list[uuid.UUID]:
    """Queue ``event_type`` with ``payload`` (JSON-able) for every endpoint of the organisation
    that subscribed to it; sent once ``session`` commits. Returns the delivery ids."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}; known: {EVENT_TYPES}")
    endpoints = session.exec(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organisation_id == organisation_id,
            col(WebhookEndpoint.deleted_at).is_(None),
        )
    ).all()
    subscribed = [endpoint for endpoint in endpoints if event_type in endpoint.event_types]
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
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event_type,
            body=body,
        )
        for endpoint in subscribed
    ]
    session.add_all(deliveries)
    session.flush()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    session.info.setdefault(_PENDING, []).extend((engine, d.id) for d in deliveries)
    return [d.id for d in deliveries]


@event.listens_for(OrmSession, "after_commit")
def _send_committed(session: OrmSession) -> None:
    for engine, delivery_id in session.info.pop(_PENDING, []):
        _schedule(engine, delivery_id, delay_seconds=0.0)


@event.listens_for(OrmSession, "after_rollback")
def _forget_rolled_back(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


def _schedule(engine: Engine, delivery_id: uuid.UUID, delay_seconds: float) -> None:
    global _executor
    if delay_seconds > 0:
        timer = threading.Timer(delay_seconds, _schedule, (engine, delivery_id, 0.0))
        timer.daemon = True
        timer.start()
        return
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=get_webhook_settings().workers, thread_name_prefix="cellcarbon-webhook"
            )
    _executor.submit(_attempt_safely, engine, delivery_id)


def _attempt_safely(engine: Engine, delivery_id: uuid.UUID) -> None:
    try:
        retry_in = attempt_delivery(engine, delivery_id)
    except Exception:  # a worker thread has no caller to report to: log it
        logger.exception("webhook delivery %s failed unexpectedly", delivery_id)
        return
    if retry_in is not None:
        _schedule(engine, delivery_id, retry_in)


def attempt_delivery(engine: Engine, delivery_id: uuid.UUID) -> float | None:
    """Make the next attempt of one delivery and log it; return the wait before the next
    attempt, or None when the delivery is finished (succeeded or failed for good)."""
    settings = get_webhook_settings()
    with Session(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return None
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
        if succeeded or final or number >= settings.max_attempts:
            delivery.status = "succeeded" if succeeded else "failed"
            delivery.finished_at = datetime.now(UTC)
        session.add(delivery)
        session.commit()
        if delivery.status != "pending":
            return None
        return float(settings.backoff_seconds * 2 ** (number - 1))


def _post(
    endpoint: WebhookEndpoint, delivery: WebhookDelivery, settings: Any
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
    }
    try:
        response = httpx.post(
            endpoint.url,
            content=body,
            headers=headers,
            timeout=settings.timeout_seconds,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return None, f"{exc.__class__.__name__}: {exc}", False
    error = None if response.is_success else f"HTTP {response.status_code}"
    return response.status_code, error, False
