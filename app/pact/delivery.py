"""Fulfilment of a RequestCreatedEvent as a durable job: find the footprints, post the reply.

The request was answered 200 already (PACT v3 /3/events), and a ``pact.fulfil`` job was
committed with the event's row. The job computes the reply once (stored on the row, so every
attempt sends the same CloudEvent) and POSTs it to the requester's events endpoint; a failed
POST asks to be retried after ``pact_callback_backoff_s × 2^(n-1)``, up to
``pact_callback_attempts``. Attempts and the outcome are recorded on the event's row. Being a
job, a pending reply survives a restart (the sweeper resubmits it).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
from sqlmodel import Session, col, select

from app.core.db import session_scope
from app.core.models import utc_now
from app.core.observability import request_id_header
from app.core.runtime import get_background, get_engine
from app.core.settings import Settings
from app.footprints.models import Footprint
from app.footprints.service import compute_footprint
from app.jobs.queue import PACT_FULFIL, JobContext, RetryLater, new_job, register_job_kind
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
from app.webhooks.delivery import emit
from app.webhooks.urls import UnsafeUrl, check_url, guarded_client

logger = logging.getLogger("cellcarbon.pact")


class ReplyRefused(RuntimeError):
    """The reply could not be delivered, for good (refused URL, 4xx, or out of attempts)."""


def fulfilment_job(session: Session, row: PactEvent, own_source: str) -> uuid.UUID:
    """Queue the reply to a ``pending`` RequestCreatedEvent in the session that logs it: the
    job exists exactly when the event does. Submit it once the session has committed."""
    job = new_job(session, row.organisation_id, PACT_FULFIL, row.id, {"own_source": own_source})
    return job.id


def fulfilment_attempts(settings: Settings) -> int:
    return settings.pact_callback_attempts


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
            bom_id,
            caller.organisation_id,
            engine=engine,
            background=background,
            data_dir=settings.data_dir,
        )
        with session_scope(engine) as session:
            share(session, caller.client_id, footprint_id, actor="pact-refresh")
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


def run_fulfilment(context: JobContext) -> dict[str, Any]:
    """One attempt at delivering the reply; RetryLater when the requester may accept it later."""
    settings = context.settings
    event_row_id = context.subject_id
    assert event_row_id is not None
    with session_scope(context.engine) as session:
        row = session.get(PactEvent, event_row_id)
        assert row is not None
        if row.status != "pending":  # delivered or given up by an earlier run
            return {"event_id": str(row.id), "status": row.status, "attempts": row.attempts}
        reply, target, number = row.reply, reply_url(row.source), row.attempts + 1
    if reply is None:
        reply = reply_for(event_row_id, context.params["own_source"], settings)
        with session_scope(context.engine) as session:
            row = session.get(PactEvent, event_row_id)
            assert row is not None
            row.reply = reply
            session.add(row)
    assert target is not None  # checked when the event was accepted
    try:
        # The requester named this URL in its event: the same SSRF rules as for webhooks apply
        # (public addresses only unless CELLCARBON_WEBHOOK_ALLOW_PRIVATE is set).
        check_url(target, settings)
    except UnsafeUrl as exc:
        _finish(settings, event_row_id, status="failed", last_error=f"refused: {exc}", attempts=0)
        raise ReplyRefused(f"refused: {exc}") from None
    error, final = _post(settings, target, reply)
    if error is None:
        _deliver(settings, event_row_id, reply, number)
        return {"event_id": str(event_row_id), "status": "delivered", "attempts": number}
    if final or number >= settings.pact_callback_attempts or context.final_attempt:
        _finish(settings, event_row_id, status="failed", last_error=error, attempts=number)
        raise ReplyRefused(f"{error} (attempt {number})")
    _record_attempt(settings, event_row_id, number, error)
    raise RetryLater(settings.pact_callback_backoff_s * 2 ** (number - 1), error)


def _post(settings: Settings, target: str, reply: dict[str, Any]) -> tuple[str | None, bool]:
    """POST the reply: (error or None, whether retrying cannot help)."""
    verify = trust(str(settings.pact_ca_bundle) if settings.pact_ca_bundle else None)
    try:
        # The client every customer-chosen URL gets: no redirects, and only public peers (the
        # address actually connected to, so a name that resolves again elsewhere reaches nothing).
        with guarded_client(settings, timeout=settings.pact_http_timeout_s, verify=verify) as http:
            response = http.post(
                target,
                json=reply,
                headers={
                    "content-type": "application/cloudevents+json; charset=UTF-8",
                    **request_id_header(),
                },
            )
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}"[:500], False
    if response.is_success:
        return None, False
    # A 4xx other than timeout/too-many: the requester refuses this reply; resending won't help.
    refused = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    return f"HTTP {response.status_code} from {target}", refused


def _deliver(
    settings: Settings, event_row_id: uuid.UUID, reply: dict[str, Any], attempts: int
) -> None:
    """Mark the row delivered and announce it, in one transaction: announced exactly once."""
    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, event_row_id)
        assert row is not None
        row.status, row.attempts, row.finished_at = "delivered", attempts, utc_now()
        session.add(row)
        _announce(session, row, reply, settings)


def _announce_fulfilled(settings: Settings, event_row_id: uuid.UUID, reply: dict[str, Any]) -> None:
    """Tell the data owner's webhooks that a customer's PACT request was answered."""
    with session_scope(get_engine(settings)) as session:
        row = session.get(PactEvent, event_row_id)
        if row is not None:
            _announce(session, row, reply, settings)


def _announce(session: Session, row: PactEvent, reply: dict[str, Any], settings: Settings) -> None:
    if not str(reply.get("type", "")).endswith("RequestFulfilledEvent.3"):
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
        settings,
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


register_job_kind(PACT_FULFIL, run_fulfilment, fulfilment_attempts)
