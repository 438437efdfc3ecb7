"""/v1/pact: the data owner manages its PACT clients, what it shares with them, and rules that
share new footprints of a cell model automatically. Admin keys only: sharing sends data out."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.access.deps import AdminDep, RepoDep
from app.pact import sharing
from app.pact.schemas import (
    PactClientCreate,
    PactClientCreated,
    PactClientPublic,
    PactClientsPublic,
    ShareCreate,
    SharePublic,
    SharesPublic,
    SharingRuleCreate,
    SharingRulePublic,
    SharingRulesPublic,
)

router = APIRouter(prefix="/v1/pact", tags=["pact sharing"])


@router.post("/clients", response_model=PactClientCreated, status_code=status.HTTP_201_CREATED)
def create_pact_client(payload: PactClientCreate, repo: RepoDep, _: AdminDep) -> PactClientCreated:
    """OAuth2 client credentials for a customer; the secret is shown only in this response."""
    client, secret = sharing.new_client(repo, payload.name)
    public = PactClientPublic.model_validate(client, from_attributes=True)
    return PactClientCreated(**public.model_dump(), client_secret=secret)


@router.get("/clients", response_model=PactClientsPublic)
def list_pact_clients(repo: RepoDep, _: AdminDep) -> PactClientsPublic:
    """The organisation's PACT clients (never their secrets)."""
    rows = sharing.clients(repo)
    return PactClientsPublic(
        data=[PactClientPublic.model_validate(c, from_attributes=True) for c in rows],
        count=len(rows),
    )


@router.delete("/clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_pact_client(client_id: uuid.UUID, repo: RepoDep, _: AdminDep) -> Response:
    """Revoke a client: its tokens stop working at once and its sharing rules stop applying."""
    sharing.revoke_client(repo, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/clients/{client_id}/shares", response_model=SharePublic)
def share_footprint(
    client_id: uuid.UUID, payload: ShareCreate, repo: RepoDep, response: Response, _: AdminDep
) -> SharePublic:
    """Publish a stored footprint to a client (201; 200 when it was already shared)."""
    row, created = sharing.share(repo, client_id, payload.footprint_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return SharePublic.model_validate(row, from_attributes=True)


@router.get("/clients/{client_id}/shares", response_model=SharesPublic)
def list_shares(client_id: uuid.UUID, repo: RepoDep, _: AdminDep) -> SharesPublic:
    """The footprints published to a client."""
    rows = sharing.shares(repo, client_id)
    return SharesPublic(
        data=[SharePublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows)
    )


@router.delete("/clients/{client_id}/shares/{footprint_id}", status_code=status.HTTP_204_NO_CONTENT)
def unshare_footprint(
    client_id: uuid.UUID, footprint_id: uuid.UUID, repo: RepoDep, _: AdminDep
) -> Response:
    """Stop publishing a footprint to a client."""
    sharing.unshare(repo, client_id, footprint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sharing-rules", response_model=SharingRulePublic, status_code=status.HTTP_201_CREATED
)
def create_sharing_rule(
    payload: SharingRuleCreate, repo: RepoDep, _: AdminDep
) -> SharingRulePublic:
    """Share every footprint of a BOM (cell model) stored from now on with a client."""
    rule = sharing.new_rule(
        repo, payload.client_id, payload.bom_id, share_latest=payload.share_latest
    )
    return SharingRulePublic.model_validate(rule, from_attributes=True)


@router.get("/sharing-rules", response_model=SharingRulesPublic)
def list_sharing_rules(repo: RepoDep, _: AdminDep) -> SharingRulesPublic:
    """The organisation's sharing rules, revoked ones included."""
    rows = sharing.rules(repo)
    return SharingRulesPublic(
        data=[SharingRulePublic.model_validate(r, from_attributes=True) for r in rows],
        count=len(rows),
    )


@router.delete("/sharing-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_sharing_rule(rule_id: uuid.UUID, repo: RepoDep, _: AdminDep) -> Response:
    """Stop applying a rule to new footprints; what it shared stays shared."""
    sharing.revoke_rule(repo, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
