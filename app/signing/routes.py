"""Signing keys (per organisation, rotatable), the public JWK Set, and verification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from app.access.deps import AdminDep, PrincipalDep, RepoDep
from app.core.deps import SessionDep, SettingsDep
from app.signing import jose
from app.signing.models import OrganisationSigningKey
from app.signing.schemas import (
    SigningKeyPublic,
    SigningKeysPublic,
    VerificationPublic,
    VerifyIn,
)
from app.signing.service import (
    active_key,
    all_public_keys,
    organisation_key,
    organisation_keys,
    public_jwk,
    rotate,
)
from app.signing.verification import verify_submission

router = APIRouter(prefix="/v1", tags=["signing"])
public_router = APIRouter(tags=["signing"])


def _public(row: OrganisationSigningKey) -> SigningKeyPublic:
    jwk = public_jwk(row)
    return SigningKeyPublic(
        kid=row.kid,
        status=jwk["cellcarbon:status"],
        created_at=row.created_at,
        retired_at=row.retired_at,
        public_jwk=jwk,
    )


@public_router.get("/.well-known/jwks.json")
def jwks(session: SessionDep, response: Response) -> dict[str, Any]:
    """Every organisation's public signing keys, retired ones included (no API key needed)."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return jose.jwks(all_public_keys(session))


@router.get("/signing-keys", response_model=SigningKeysPublic)
def list_signing_keys(repo: RepoDep, settings: SettingsDep, _: AdminDep) -> SigningKeysPublic:
    """Your organisation's signing keys, newest first (the first is made now if none exists)."""
    active_key(repo, settings)
    rows = organisation_keys(repo)
    return SigningKeysPublic(data=[_public(row) for row in rows], count=len(rows))


@router.get("/signing-keys/{kid}", response_model=SigningKeyPublic)
def get_signing_key(kid: str, repo: RepoDep, _: AdminDep) -> SigningKeyPublic:
    """One of your organisation's signing keys."""
    return _public(organisation_key(repo, kid))


@router.post(
    "/signing-keys/rotate", response_model=SigningKeyPublic, status_code=status.HTTP_201_CREATED
)
def rotate_signing_key(
    repo: RepoDep, settings: SettingsDep, _: AdminDep, response: Response
) -> SigningKeyPublic:
    """Retire the active signing key (it still verifies what it signed) and make a new one."""
    row = rotate(repo, settings)
    response.headers["Location"] = f"/v1/signing-keys/{row.kid}"
    return _public(row)


@router.post("/verify", response_model=VerificationPublic)
def verify(payload: VerifyIn, session: SessionDep, _: PrincipalDep) -> VerificationPublic:
    """Check a JWS from any organisation here: signature, key and content; who signed it."""
    return verify_submission(session, payload)
