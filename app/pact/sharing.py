"""The data owner's side of PACT: clients, shared footprints and sharing rules (no HTTP).

Every read and write goes through the caller's :class:`OrgRepository`, so another
organisation's client, footprint or rule does not exist here, and every change is audited.
Nothing commits: the request's session does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from app.access.models import Organisation
from app.boms.models import Bom
from app.core.errors import InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.footprints.models import Footprint
from app.pact.auth import create_client
from app.pact.models import PactClient, PactShare, PactSharingRule


def new_client(repo: OrgRepository, customer: str) -> tuple[PactClient, str]:
    """Client credentials for ``customer``; the secret is returned once."""
    owner = repo.session.get(Organisation, repo.organisation_id)
    assert owner is not None  # the caller's own organisation
    # Audited there, once, as the caller's action.
    return create_client(repo.session, owner, customer, actor=repo.actor)


def clients(repo: OrgRepository) -> list[PactClient]:
    return repo.children(
        PactClient,
        col(PactClient.organisation_id),
        repo.organisation_id,
        col(PactClient.created_at),
    )


def revoke_client(repo: OrgRepository, client_id: uuid.UUID) -> PactClient:
    """Revoke a client: its tokens stop working at once (checked on every PACT request) and
    its sharing rules no longer apply."""
    client = repo.get(PactClient, client_id, "PACT client")
    if client.revoked_at is not None:
        return client  # DELETE is idempotent: revoked once, audited once
    client.revoked_at = datetime.now(UTC)
    repo.session.add(client)
    repo.audit("revoke", "pact_client", client.id, {"revoked_at": client.revoked_at.isoformat()})
    return client


def _active_client(repo: OrgRepository, client_id: uuid.UUID) -> PactClient:
    client = repo.get(PactClient, client_id, "PACT client")
    if client.revoked_at is not None:
        raise InvalidInput(
            f"PACT client {client_id} is revoked",
            [{"loc": ["client_id"], "msg": "this client is revoked", "type": "value_error"}],
        )
    return client


def _share_row(
    repo: OrgRepository, client_id: uuid.UUID, footprint_id: uuid.UUID
) -> PactShare | None:
    return repo.session.exec(
        select(PactShare).where(
            col(PactShare.organisation_id) == repo.organisation_id,
            col(PactShare.client_id) == client_id,
            col(PactShare.footprint_id) == footprint_id,
        )
    ).first()


def share(
    repo: OrgRepository, client_id: uuid.UUID, footprint_id: uuid.UUID, *, why: str = "request"
) -> tuple[PactShare, bool]:
    """Publish one footprint to one client; returns the share and whether it is new."""
    client = _active_client(repo, client_id)
    footprint = repo.get(Footprint, footprint_id, "footprint")
    existing = _share_row(repo, client.id, footprint.id)
    if existing is not None:
        return existing, False
    row = PactShare(
        organisation_id=repo.organisation_id, client_id=client.id, footprint_id=footprint.id
    )
    repo.add(row)
    repo.session.flush()
    repo.audit("create", "pact_share", footprint.id, {"client_id": str(client.id)}, by=why)
    return row, True


def unshare(repo: OrgRepository, client_id: uuid.UUID, footprint_id: uuid.UUID) -> None:
    """Stop publishing a footprint to a client: it leaves the client's /3/footprints."""
    client = repo.get(PactClient, client_id, "PACT client")
    row = _share_row(repo, client.id, footprint_id)
    if row is None:
        raise NotFound(f"footprint {footprint_id} is not shared with PACT client {client_id}")
    repo.session.delete(row)
    repo.audit("delete", "pact_share", footprint_id, {"client_id": str(client.id)})


def shares(repo: OrgRepository, client_id: uuid.UUID) -> list[PactShare]:
    client = repo.get(PactClient, client_id, "PACT client")
    return repo.children(PactShare, col(PactShare.client_id), client.id, col(PactShare.id))


def new_rule(
    repo: OrgRepository, client_id: uuid.UUID, bom_id: uuid.UUID, *, share_latest: bool
) -> PactSharingRule:
    """Share every footprint of ``bom_id`` stored from now on with the client (and, with
    ``share_latest``, the newest one already stored)."""
    client = _active_client(repo, client_id)
    bom = repo.get(Bom, bom_id, "BOM")
    rule = PactSharingRule(organisation_id=repo.organisation_id, client_id=client.id, bom_id=bom.id)
    repo.add(rule)
    repo.session.flush()
    repo.audit(
        "create", "pact_sharing_rule", rule.id, {"client_id": str(client.id), "bom_id": str(bom.id)}
    )
    if share_latest:
        latest = repo.session.exec(
            select(Footprint)
            .where(
                col(Footprint.organisation_id) == repo.organisation_id,
                col(Footprint.bom_id) == bom.id,
            )
            .order_by(col(Footprint.created_at).desc(), col(Footprint.id))
        ).first()
        if latest is not None:
            share(repo, client.id, latest.id, why=f"sharing rule {rule.id}")
    return rule


def rules(repo: OrgRepository) -> list[PactSharingRule]:
    return repo.children(
        PactSharingRule,
        col(PactSharingRule.organisation_id),
        repo.organisation_id,
        col(PactSharingRule.created_at),
    )


def revoke_rule(repo: OrgRepository, rule_id: uuid.UUID) -> PactSharingRule:
    """Stop applying a rule to new footprints (what it shared stays shared)."""
    rule = repo.get(PactSharingRule, rule_id, "sharing rule")
    if rule.revoked_at is not None:
        return rule  # DELETE is idempotent: revoked once, audited once
    rule.revoked_at = datetime.now(UTC)
    repo.session.add(rule)
    repo.audit("revoke", "pact_sharing_rule", rule.id, {"revoked_at": rule.revoked_at.isoformat()})
    return rule


_RULES = PactSharingRule.__table__  # type: ignore[attr-defined]
_CLIENTS = PactClient.__table__  # type: ignore[attr-defined]
# Runs with every footprint's INSERT (app.core.db.Reads), mostly to find nothing: a Core
# statement of three columns, built once; ordered in Python (rows come back in no order).
RULES_OF_BOM = (
    sa_select(_RULES.c.id, _CLIENTS.c.id, _RULES.c.created_at)
    .join(_CLIENTS, _CLIENTS.c.id == _RULES.c.client_id)
    .where(
        _RULES.c.organisation_id == bindparam("organisation_id"),
        _RULES.c.bom_id == bindparam("bom_id"),
        _RULES.c.revoked_at.is_(None),
        _CLIENTS.c.revoked_at.is_(None),
    )
)


def apply_sharing_rules(
    repo: OrgRepository, footprint: Footprint, matching: list[list[Any]]
) -> list[uuid.UUID]:
    """Share a newly stored footprint with every active client whose rule names its BOM, in the
    transaction that stores it; returns those clients' ids. ``matching``: the rows of
    :data:`RULES_OF_BOM` for this footprint, read by its INSERT
    (:func:`app.footprints.service.insert_footprint`)."""
    shared: list[uuid.UUID] = []
    # The oldest rule first, as the share's reason (times as text compare as times: one format).
    for rule_id, client_id, _ in sorted(matching, key=lambda row: str(row[2])):
        client = uuid.UUID(str(client_id))
        if client in shared:
            continue
        share(repo, client, footprint.id, why=f"sharing rule {rule_id}")
        shared.append(client)
    return shared
