"""OPC UA sources of a plant: stored, and pulled periodically by ``plant.opcua_pull`` jobs.

Each source has one pull job waiting at a time (``next_job_id``). The job reads every node's
history from where the last pull ended to now and stores it like an upload (a period pulled
again replaces what was stored), then queues the next pull ``interval_s`` later. A run that finds
it is not the source's ``next_job_id`` (a re-run after a crash, or a deleted source) does nothing,
so a source never has two chains of pulls. A server that cannot be reached, or readings that
cannot be used, leave ``last_error`` (without the URL's user and password) and the next pull
tries again. The URL is never answered, audited or logged: only its endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col

from app.core.errors import InvalidInput, NotFound
from app.core.models import utc_now
from app.core.repository import OrgRepository
from app.jobs.queue import new_job
from app.jobs.submit import submit_after_commit
from app.plants import ingest
from app.plants.models import OpcUaSource, Plant, PlantMeter
from app.plants.opcua import MeterNode, OpcUaPullError, pull_readings, safe_endpoint
from app.plants.schemas import OpcUaNodeIn, OpcUaSourceCreate, OpcUaSourcePublic
from app.plants.service import load_plant
from lca.plant.model import PlantDataError

logger = logging.getLogger("cellcarbon.plants")
OPCUA_PULL = "plant.opcua_pull"


def _get(repo: OrgRepository, plant: Plant, source_id: uuid.UUID) -> OpcUaSource:
    row = repo.get(OpcUaSource, source_id, "OPC UA source")
    if row.plant_id != plant.id:
        raise NotFound(f"no OPC UA source with id {source_id} at plant {plant.id}")
    return row


def create_source(repo: OrgRepository, plant: Plant, payload: OpcUaSourceCreate) -> OpcUaSource:
    """Store a source (its meters must be the plant's) and queue its first pull now."""
    errors: list[dict[str, Any]] = []
    parts = urlsplit(payload.url)
    if parts.scheme != "opc.tcp" or not parts.hostname:
        errors.append(
            {
                "loc": ["body", "url"],
                "msg": "an OPC UA endpoint: opc.tcp://host:port/path",
                "type": "value_error",
            }
        )
    meters = {
        m.meter_id
        for m in repo.children(
            PlantMeter, col(PlantMeter.plant_id), plant.id, col(PlantMeter.position)
        )
    }
    for index, node in enumerate(payload.nodes):
        if node.meter_id not in meters:
            errors.append(
                {
                    "loc": ["body", "nodes", index, "meter_id"],
                    "msg": f"the plant has no meter '{node.meter_id}'",
                    "type": "value_error",
                }
            )
    if errors:
        raise InvalidInput("the OPC UA source cannot be used; nothing was stored", errors)
    now = utc_now()
    start = payload.start or now - timedelta(seconds=payload.interval_s)
    row = OpcUaSource(
        organisation_id=repo.organisation_id,
        plant_id=plant.id,
        url=payload.url,
        nodes=[n.model_dump() for n in payload.nodes],
        interval_s=payload.interval_s,
        reading_interval_s=payload.reading_interval_s,
        pulled_until_s=int(start.timestamp()),
    )
    repo.add(row)
    repo.session.flush()
    _queue_pull(repo.session, row, now)
    repo.audit(
        "create",
        "opcua_source",
        row.id,
        {**payload.model_dump(mode="json", exclude={"url"}), "endpoint": safe_endpoint(row.url)},
    )
    return row


def _queue_pull(session: Session, row: OpcUaSource, at: datetime) -> None:
    job = new_job(session, row.organisation_id, OPCUA_PULL, row.id, {})
    job.run_after = at
    row.next_job_id = job.id
    session.add(row)
    session.add(job)
    submit_after_commit(session, job.id, OPCUA_PULL)


def delete_source(repo: OrgRepository, plant: Plant, source_id: uuid.UUID) -> None:
    """Delete a source; its waiting pull finds it gone and does nothing."""
    row = _get(repo, plant, source_id)
    repo.session.delete(row)
    repo.audit("delete", "opcua_source", row.id, {"endpoint": safe_endpoint(row.url)})


def get_source(repo: OrgRepository, plant: Plant, source_id: uuid.UUID) -> OpcUaSource:
    return _get(repo, plant, source_id)


def list_sources(repo: OrgRepository, plant: Plant) -> list[OpcUaSource]:
    return repo.children(
        OpcUaSource, col(OpcUaSource.plant_id), plant.id, col(OpcUaSource.created_at)
    )


def source_public(row: OpcUaSource) -> OpcUaSourcePublic:
    return OpcUaSourcePublic(
        id=row.id,
        plant_id=row.plant_id,
        endpoint=safe_endpoint(row.url),
        nodes=[OpcUaNodeIn.model_validate(n) for n in row.nodes],
        interval_s=row.interval_s,
        reading_interval_s=row.reading_interval_s,
        pulled_until=datetime.fromtimestamp(row.pulled_until_s, UTC),
        next_job_id=row.next_job_id,
        last_error=row.last_error,
        created_at=row.created_at,
    )


def pull_source(
    repo: OrgRepository, source_id: uuid.UUID, job_id: uuid.UUID, timeout_s: float = 10.0
) -> dict[str, Any]:
    """One periodic pull (the ``plant.opcua_pull`` job): store the history since the last pull,
    then queue the next one. Returns what the job reports."""
    session = repo.session
    row = session.get(OpcUaSource, source_id, with_for_update=True)
    if row is None or row.organisation_id != repo.organisation_id:
        return {"skipped": "the source was deleted"}
    if row.next_job_id != job_id:
        return {"skipped": "another pull of this source is queued"}
    plant_row, plant = load_plant(repo, row.plant_id)
    now = utc_now()
    start = datetime.fromtimestamp(row.pulled_until_s, UTC)
    nodes = [MeterNode(n["meter_id"], n["node_id"], n["unit"]) for n in row.nodes]
    outcome: dict[str, Any] = {"from": start.isoformat(), "to": now.isoformat()}
    try:
        pulled = asyncio.run(
            pull_readings(
                row.url,
                nodes,
                plant,
                start,
                now,
                interval_s=row.reading_interval_s,
                timeout_s=timeout_s,
            )
        )
        stored = ingest.store_series(session, repo.organisation_id, plant_row.id, pulled.series)
    except (OpcUaPullError, PlantDataError) as exc:
        row.last_error = _error_text(exc)[:500]
        logger.warning("OPC UA source %s: %s", row.id, row.last_error)
        outcome["error"] = row.last_error
    else:
        row.pulled_until_s = int(now.timestamp())
        row.last_error = ""
        outcome |= {
            "values_read": pulled.values_read,
            "values_stored": stored.values_stored,
            "values_replaced": stored.values_replaced,
            "not_good": sum(pulled.not_good.values()),
        }
        repo.audit(
            "create",
            "meter_readings",
            plant_row.id,
            {"opcua_source": str(row.id), "from": outcome["from"], "to": outcome["to"]},
            values=stored.values_stored,
            replaced=stored.values_replaced,
        )
    _queue_pull(session, row, now + timedelta(seconds=row.interval_s))
    return outcome


def _error_text(exc: Exception) -> str:
    if isinstance(exc, PlantDataError):
        return "; ".join(f"{'/'.join(map(str, loc))}: {msg}" for loc, msg in exc.problems)
    return str(exc)  # OpcUaPullError messages name the endpoint only
