"""Checking a signature against every organisation's public keys: who signed what."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from sqlmodel import Session

from app.core.errors import InvalidInput
from app.signing import jose
from app.signing.models import OrganisationSigningKey
from app.signing.schemas import SignerPublic, VerificationPublic, VerifyIn
from app.signing.service import key_holder, public_jwk

# Messages of jose.VerificationError that are about the supplied content, not the token.
_CONTENT_PROBLEMS = ("supplied content", "signed content must be supplied")


def decode_content(value: str | dict[str, Any] | list[Any] | None) -> bytes | None:
    """The bytes a client gave: base64 text (standard or URL-safe alphabet), or a JSON value."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except ValueError:
            raise InvalidInput(
                "content is not a finite JSON document",
                [{"loc": ["content"], "msg": "NaN or Infinity", "type": "value_error"}],
            ) from None
    text = "".join(value.split())
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content is neither base64 nor a JSON document",
            [{"loc": ["content"], "msg": "not base64 text", "type": "value_error"}],
        ) from None


def _candidate_keys(session: Session, token: str) -> list[dict[str, Any]]:
    """The published key the token's header names, if there is one (jose.verify then checks
    the header properly and says what is wrong with it)."""
    head = token.strip().split(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        return []
    kid = header.get("kid") if isinstance(header, dict) else None
    row = session.get(OrganisationSigningKey, kid) if isinstance(kid, str) else None
    return [public_jwk(row)] if row is not None else []


def verify_submission(session: Session, payload: VerifyIn) -> VerificationPublic:
    """Verify ``payload`` against the published keys; 422 naming the failed check otherwise."""
    problems = []
    content = None
    try:
        content = decode_content(payload.content)
    except InvalidInput as exc:
        problems += exc.errors
    if payload.jws.strip().count(".") != 2:
        problems.append(
            {
                "loc": ["jws"],
                "msg": "not a compact JWS (three dot-separated parts)",
                "type": "value_error",
            }
        )
    if problems:
        raise InvalidInput("cannot verify: " + "; ".join(p["msg"] for p in problems), problems)
    try:
        verified = jose.verify(payload.jws, _candidate_keys(session, payload.jws), content)
    except ValueError as exc:  # jose.VerificationError, or base64/JSON a forger garbled
        reason = str(exc) if isinstance(exc, jose.VerificationError) else "malformed JWS"
        field = "content" if any(p in reason for p in _CONTENT_PROBLEMS) else "jws"
        raise InvalidInput(
            f"the signature does not verify: {reason}",
            [{"loc": [field], "msg": reason, "type": "signature_invalid"}],
        ) from None
    holder = key_holder(session, verified.kid)
    if holder is None:  # pragma: no cover - the key verified, so it is in the table
        raise InvalidInput("unknown signing key", [{"loc": ["jws"], "msg": "unknown key"}])
    return VerificationPublic(
        kid=verified.kid,
        key_status="active" if holder.status == "active" else "retired",
        organisation=SignerPublic(id=holder.organisation_id, name=holder.organisation_name),
        content_type=verified.content_type,
        canonical_json=verified.canonical_json,
        content_sha256=hashlib.sha256(verified.content).hexdigest(),
        content=verified.json() if verified.canonical_json else None,
    )
