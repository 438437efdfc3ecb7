"""What a PACT client may see, and the events it sends: queries and rules, no HTTP."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.access.models import Organisation
from app.boms.models import Bom
from app.core.audit import CLI_ACTOR, record
from app.footprints.models import Footprint
from app.pact.auth import Caller, PactAuthError
from app.pact.mapping import FILTERS, DeclaredUnit, Published, product_footprint
from app.pact.models import PactClient, PactEvent, PactShare

EVENT_PREFIX = "org.wbcsd.pact.ProductFootprint."
REQUEST_CREATED = EVENT_PREFIX + "RequestCreatedEvent.3"
REQUEST_FULFILLED = EVENT_PREFIX + "RequestFulfilledEvent.3"
REQUEST_REJECTED = EVENT_PREFIX + "RequestRejectedEvent.3"
PUBLISHED = EVENT_PREFIX + "PublishedEvent.3"
EVENT_TYPES = (REQUEST_CREATED, REQUEST_FULFILLED, REQUEST_REJECTED, PUBLISHED)


def share(
    session: Session, client_id: uuid.UUID, footprint_id: uuid.UUID, actor: str = CLI_ACTOR
) -> PactShare:
    """Publish one of the owner's footprints to a client (idempotent); audited as ``actor``."""
    client = session.get(PactClient, client_id)
    footprint = session.get(Footprint, footprint_id)
    if client is None:
        raise LookupError(f"no PACT client {client_id}")
    if footprint is None or footprint.organisation_id != client.organisation_id:
        raise LookupError(f"no footprint {footprint_id} of this client's data owner")
    existing = session.exec(
        select(PactShare).where(
            col(PactShare.client_id) == client_id, col(PactShare.footprint_id) == footprint_id
        )
    ).first()
    if existing is not None:
        return existing
    row = PactShare(
        organisation_id=client.organisation_id, client_id=client_id, footprint_id=footprint_id
    )
    session.add(row)
    session.flush()
    record(
        session,
        client.organisation_id,
        actor,
        "create",
        "pact_share",
        row.id,
        {"client_id": str(client_id), "footprint_id": str(footprint_id)},
    )
    return row


def shared_footprints(
    session: Session, caller: Caller, *, domain: str, unit: DeclaredUnit
) -> list[dict[str, Any]]:
    """Every footprint shared with the caller, as ProductFootprints, newest first.

    A footprint is Deprecated once a newer footprint of the same BOM exists (footprints are
    immutable; a recomputation is a new version), and lists the older ones as precedingPfIds.
    Filtering happens on the mapped documents: a customer sees at most a few thousand shares.
    """
    rows = session.exec(
        select(Footprint)
        .join(PactShare, col(PactShare.footprint_id) == col(Footprint.id))
        .where(
            col(PactShare.client_id) == caller.client_id,
            col(Footprint.organisation_id) == caller.organisation_id,
        )
    ).all()
    if not rows:
        return []
    owner = session.get(Organisation, caller.organisation_id)
    assert owner is not None
    bom_ids = {f.bom_id for f in rows}
    versions: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]] = defaultdict(list)
    for footprint_id, bom_id, created in session.exec(
        select(Footprint.id, Footprint.bom_id, Footprint.created_at).where(
            col(Footprint.bom_id).in_(bom_ids)
        )
    ).all():
        versions[bom_id].append((created, footprint_id))
    boms = {b.id: b for b in session.exec(select(Bom).where(col(Bom.id).in_(bom_ids))).all()}
    documents = []
    for footprint in sorted(rows, key=lambda f: (f.created_at, str(f.id)), reverse=True):
        history = [
            i for _, i in sorted(versions[footprint.bom_id], key=lambda v: (v[0], str(v[1])))
        ]
        position = history.index(footprint.id)
        item = Published(
            footprint=footprint,
            bom=boms[footprint.bom_id],
            owner=owner,
            preceding_ids=tuple(history[:position]),
            superseded=position < len(history) - 1,
        )
        documents.append(product_footprint(item, domain=domain, unit=unit))
    return documents


# --- events ------------------------------------------------------------------------------


def _bad(message: str) -> PactAuthError:
    return PactAuthError(400, "BadRequest", message)


def _uuid_text(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def request_filters(data: dict[str, Any]) -> dict[str, list[str]]:
    """The filters of a RequestCreatedEvent's ``data``: arrays of strings (a lone string is
    accepted as a one-element array); validOn/After/Before are date-time strings."""
    filters: dict[str, list[str]] = {}
    for name in FILTERS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(f"data.{name} must be a string or an array of strings")
        if name.startswith("valid"):
            for v in value:
                try:
                    datetime.fromisoformat(v)
                except ValueError:
                    raise _bad(f"data.{name} '{v}' is not an RFC 3339 date-time") from None
        filters[name] = value
    return filters


def reply_url(source: str) -> str | None:
    """The events endpoint a reply goes to: the CloudEvent ``source`` as an HTTPS URL
    (``//host/3/events`` as in the PACT examples, or ``https://…``)."""
    if source.startswith("//"):
        return "https:" + source
    if source.startswith("https://"):
        return source
    return None


def validate_event(event: Any) -> dict[str, Any]:
    """A structured-mode CloudEvent (CloudEvents 1.0) of a PACT v3 type, or a 400."""
    if not isinstance(event, dict):
        raise _bad("the body must be a CloudEvent JSON object")
    problems = []
    for name in ("specversion", "id", "source", "time", "type"):
        if not isinstance(event.get(name), str) or not event[name].strip():
            problems.append(f"'{name}' must be a non-empty string")
    if problems:
        raise _bad("; ".join(problems))
    if event["specversion"] != "1.0":
        raise _bad("specversion must be '1.0'")
    try:
        datetime.fromisoformat(event["time"])
    except ValueError:
        raise _bad(f"time '{event['time']}' is not an RFC 3339 date-time") from None
    if event["type"] not in EVENT_TYPES:
        raise _bad(f"unknown event type '{event['type']}'; known: {', '.join(EVENT_TYPES)}")
    data = event.get("data")
    if not isinstance(data, dict):
        raise _bad("'data' must be an object")
    kind = event["type"]
    if kind == PUBLISHED:
        ids = data.get("pfIds")
        if not isinstance(ids, list) or not ids or not all(_uuid_text(i) for i in ids):
            raise _bad("data.pfIds must be a non-empty array of UUIDs")
    elif kind == REQUEST_CREATED:
        request_filters(data)
        if reply_url(event["source"]) is None:
            raise _bad("source must name the requester's events endpoint (//host/… or https://…)")
    else:
        if not isinstance(data.get("requestEventId"), str):
            raise _bad("data.requestEventId must be a string")
        if kind == REQUEST_FULFILLED and not (isinstance(data.get("pfs"), list) and data["pfs"]):
            raise _bad("data.pfs must be a non-empty array of ProductFootprints")
        if kind == REQUEST_REJECTED and not isinstance(data.get("error"), dict):
            raise _bad("data.error must be an object {code, message}")
    return event


def record_event(session: Session, caller: Caller, event: dict[str, Any]) -> PactEvent | None:
    """Log an accepted event; a RequestCreatedEvent is left ``pending`` for its reply. None
    when this client sent the same event before: a CloudEvent is identified by its source and
    id, so a retried POST (after a timeout, say) is the same request and gets no second reply."""
    seen = session.exec(
        select(PactEvent.id).where(
            PactEvent.client_id == caller.client_id,
            PactEvent.source == event["source"][:1000],
            PactEvent.event_id == event["id"][:200],
        )
    ).first()
    if seen is not None:
        return None
    row = PactEvent(
        organisation_id=caller.organisation_id,
        client_id=caller.client_id,
        event_id=event["id"][:200],
        event_type=event["type"][:200],
        source=event["source"][:1000],
        payload=event,
        status="pending" if event["type"] == REQUEST_CREATED else "received",
    )
    session.add(row)
    session.flush()
    record(
        session,
        caller.organisation_id,
        f"pact-client:{caller.client_id}",
        "create",
        "pact_event",
        row.id,
        event,
        {"event_type": row.event_type},
    )
    return row
