"""Asynchronous fulfilment of a RequestCreatedEvent: find the footprints, post the reply.

The request was answered 200 already (PACT v3 /3/events); the reply is POSTed to the
requester's events endpoint with retries and exponential backoff. Attempts and the outcome are
recorded on the event's row. Runs on a small in-process pool: a restart loses pending replies
(the spec's 72-hour retry horizon needs a durable queue; see README).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
from sqlmodel import col, select

from app.db import session_scope
from app.models import Footprint, utc_now
from app.pact.auth import Caller
from app.pact.client import trust
from app.pact.mapping import matching
from app.pact.models import PactClient, PactEvent, PactShare
from app.pact.service import (
    REQUEST_FULFILLED,
    REQUEST_REJECTED,
    reply_url,
    request_filters,
    share,
    shared_footprints,
)
from app.runtime import get_background, get_engine
from app.services.footprints import compute_footprint
from app.settings import Settings
from app.webhooks.settings import get_webhook_settings
from app.webhooks.urls import UnsafeUrl, check_url

logger = logging.getLogger("cellcarbon.pact")
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def submit_fulfilment(event_row_id: uuid.UUID, own_source: str, settings: Settings) -> Future[None]:
    """Fulfil a committed ``pending`` RequestCreatedEvent in the background."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cellcarbon-pact")
    return _executor.submit(_fulfil_logged, event_row_id, own_source, settings)


def _fulfil_logged(event_row_id: uuid.UUID, own_source: str, settings: Settings) -> None:
    try:
        fulfil(event_row_id, own_source, settings)
    except Exception:  # a thread has no caller to report to: log it and mark the row
        logger.exception("PACT request %s could not be fulfilled", event_row_id)
        _finish(settings, event_row_id, status="failed", last_error="internal error")


def refresh_outdated(caller: Caller, product_ids: list[str], settings: Settings) -> list[uuid.UUID]:
    """Recompute the requested products whose newest footprint shared with the caller was
    computed on an older background than the one running; share the new footprints too.

    Sharing a footprint grants its product: a newer version of the same BOM is what the
    customer would ask for next. Products never shared stay invisible (nothing is computed).
    """
    background = get_background(settings)
    engine = get_engine(settings)
    prefix = f"urn:pact:{settings.pact_issuer_domain}:product-id:".casefold()
    bom_ids = set()
    for product_id in product_ids:
        if product_id.casefold().startswith(prefix):
            try:
                bom_ids.add(uuid.UUID(product_id[len(prefix) :]))
            except ValueError:
                continue
    computed = []
    for bom_id in sorted(bom_ids, key=str):
        with session_scope(engine) as session:
            newest = session.exec(
                select(Footprint)
                .join(PactShare, col(PactShare.footprint_id) == col(Footprint.id))
                .where(
                    col(PactShare.client_id) == caller.client_id,
                    col(Footprint.bom_id) == bom_id,
                    col(Footprint.organisation_id) == caller.organisation_id,
                )
                .order_by(col(Footprint.created_at).desc())
            ).first()
            if newest is None or newest.background_version == background.version:
                continue
        footprint_id = compute_footprint(
            bom_id, caller.organisation_id, engine=engine, background=background
        )
        with session_scope(engine) as session:
            share(session, caller.client_id, footprint_id)
        computed.append(footprint_id)
    return computed


def reply_for(event_row_id: uuid.UUID, own_source: str, settings: Settings) -> dict[str, Any]:
    """The RequestFulfilledEvent (footprints shared with the requester that match its
    criteria, recomputed first where outdated) or RequestRejectedEvent (none match)."""
    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, event_row_id)
        assert row is not None
        client = session.get(PactClient, row.client_id)
        assert client is not None
        caller = Caller(client.id, client.organisation_id, client.customer_organisation_id)
        request = dict(row.payload)
    refresh_outdated(caller, request_filters(request["data"]).get("productId", []), settings)
    with session_scope(get_engine(settings)) as session:
        documents = matching(
            shared_footprints(
                session,
                caller,
                domain=settings.pact_issuer_domain,
                unit=settings.pact_declared_unit,
            ),
            request_filters(request["data"]),
        )
    envelope = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": own_source,
        "time": utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if documents:
        return {
            **envelope,
            "type": REQUEST_FULFILLED,
            "data": {"requestEventId": request["id"], "pfs": documents},
        }
    return {
        **envelope,
        "type": REQUEST_REJECTED,
        "data": {
            "requestEventId": request["id"],
            "error": {
                "code": "NotFound",
                "message": "no footprint shared with you matches the request's criteria",
            },
        },
    }


def fulfil(event_row_id: uuid.UUID, own_source: str, settings: Settings) -> None:
    reply = reply_for(event_row_id, own_source, settings)
    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, event_row_id)
        assert row is not None
        row.reply = reply
        target = reply_url(row.source)
    assert target is not None  # checked when the event was accepted
    try:
        # The requester named this URL in its event: the same SSRF rules as for webhooks apply
        # (public addresses only unless CELLCARBON_WEBHOOK_ALLOW_PRIVATE is set).
        check_url(target, get_webhook_settings())
    except UnsafeUrl as exc:
        _finish(settings, event_row_id, status="failed", last_error=f"refused: {exc}", attempts=0)
        return
    verify = trust(str(settings.pact_ca_bundle) if settings.pact_ca_bundle else None)
    delay = settings.pact_callback_backoff_s
    error = ""
    with httpx.Client(verify=verify, timeout=settings.pact_http_timeout_s) as http:
        for attempt in range(1, settings.pact_callback_attempts + 1):
            try:
                response = http.post(
                    target,
                    json=reply,
                    headers={"content-type": "application/cloudevents+json; charset=UTF-8"},
                )
                if response.is_success:
                    _finish(settings, event_row_id, status="delivered", attempts=attempt)
                    _announce_fulfilled(settings, event_row_id, reply)
                    return
                error = f"HTTP {response.status_code} from {target}"
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    break  # the requester refuses this reply; sending it again will not help
            except httpx.HTTPError as exc:
                error = f"{exc.__class__.__name__}: {exc}"[:500]
            _record_attempt(settings, event_row_id, attempt, error)
            if attempt < settings.pact_callback_attempts:
                time.sleep(delay)
                delay *= 2
    _finish(settings, event_row_id, status="failed", last_error=error, attempts=attempt)


def _announce_fulfilled(settings: Settings, event_row_id: uuid.UUID, reply: dict[str, Any]) -> None:
    """Tell the data owner's webhooks that a customer's PACT request was answered."""
    from app.webhooks.delivery import emit

    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, event_row_id)
        if row is None or not str(reply.get("type", "")).endswith("RequestFulfilledEvent.3"):
            return
        footprints = reply.get("data", {}).get("pfs", [])
        emit(
            session,
            row.organisation_id,
            "pact.request.fulfilled",
            {
                "request_event_id": row.event_id,
                "requester": row.source,
                "footprint_ids": [pf.get("id") for pf in footprints if isinstance(pf, dict)],
            },
        )


def _record_attempt(settings: Settings, row_id: uuid.UUID, attempt: int, error: str) -> None:
    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, row_id)
        if row is not None:
            row.attempts, row.last_error = attempt, error[:2000]


def _finish(settings: Settings, row_id: uuid.UUID, **fields: Any) -> None:
    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, row_id)
        if row is None:
            return
        for name, value in fields.items():
            setattr(row, name, value)
        row.finished_at = utc_now()
