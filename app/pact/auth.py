"""OAuth2 client credentials (RFC 6749 §4.4) for PACT customers: clients, tokens, checks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from app.access.models import Organisation
from app.core.audit import CLI_ACTOR, record
from app.pact.models import PactClient, PactToken


class PactAuthError(Exception):
    """A request a PACT endpoint refuses; rendered as a PACT error body ``{code, message}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class OAuthError(Exception):
    """A refused token request; rendered as an RFC 6749 §5.2 error body."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass(frozen=True)
class Caller:
    """The PACT client behind a valid bearer token."""

    client_id: uuid.UUID
    organisation_id: uuid.UUID  # the data owner
    customer_organisation_id: uuid.UUID


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_client(
    session: Session, owner: Organisation, customer_name: str, actor: str = CLI_ACTOR
) -> tuple[PactClient, str]:
    """A new client for the customer organisation ``customer_name`` (created if new); returns
    it with its secret, which is shown once and stored only as a SHA-256 (the secret is 256
    random bits, so an unsalted hash cannot be brute-forced)."""
    customer = session.exec(select(Organisation).where(Organisation.name == customer_name)).first()
    if customer is None:
        customer = Organisation(name=customer_name)
        session.add(customer)
        session.flush()
        record(
            session,
            customer.id,
            actor,
            "create",
            "organisation",
            customer.id,
            {"name": customer_name, "as_pact_customer_of": str(owner.id)},
        )
    secret = secrets.token_urlsafe(32)
    client = PactClient(
        organisation_id=owner.id,
        customer_organisation_id=customer.id,
        name=customer_name,
        secret_sha256=_sha256(secret),
    )
    session.add(client)
    session.flush()
    record(
        session,
        owner.id,
        actor,
        "create",
        "pact_client",
        client.id,
        {"name": customer_name, "customer_organisation_id": str(customer.id)},
    )
    return client, secret


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    if not authorization or not authorization.lower().startswith("basic "):
        raise OAuthError(401, "invalid_client", "HTTP Basic client credentials are required")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(400, "invalid_request", "malformed Basic credentials") from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise OAuthError(400, "invalid_request", "Basic credentials need 'id:secret'")
    return client_id, secret


def issue_token(
    session: Session, authorization: str | None, grant_type: str | None, ttl_s: int
) -> tuple[str, int]:
    """Check the client's credentials and grant type; return a new bearer token and its TTL."""
    client_id, secret = _basic_credentials(authorization)
    try:
        client = session.get(PactClient, uuid.UUID(client_id))
    except ValueError:
        client = None
    # Compare even for an unknown client so timing does not reveal which ids exist.
    expected = client.secret_sha256 if client else _sha256(secrets.token_hex(16))
    if not hmac.compare_digest(expected, _sha256(secret)) or client is None:
        raise OAuthError(401, "invalid_client", "unknown client or wrong secret")
    if client.revoked_at is not None:
        raise OAuthError(401, "invalid_client", "this client has been revoked")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "grant_type must be 'client_credentials'")
    token = secrets.token_urlsafe(32)
    issued = PactToken(
        token_sha256=_sha256(token),
        organisation_id=client.organisation_id,
        client_id=client.id,
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s),
    )
    session.add(issued)
    # Identified by the client: the token's digest is a credential's fingerprint, kept out of a
    # log that admins read.
    record(
        session,
        client.organisation_id,
        _client_actor(client),
        "create",
        "pact_token",
        client.id,
        {"expires_at": issued.expires_at.isoformat()},
    )
    return token, ttl_s


def _client_actor(client: PactClient) -> str:
    return f"pact-client:{client.name} ({client.id})"


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def authenticate(session: Session, authorization: str | None) -> Caller:
    """The client behind ``Authorization: Bearer <token>``, or a PACT 400/401 error."""
    if not authorization:
        raise PactAuthError(401, "BadRequest", "an Authorization: Bearer token is required")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PactAuthError(400, "BadRequest", "the Authorization header must be 'Bearer <token>'")
    row = session.get(PactToken, _sha256(token.strip()))
    if row is None:
        raise PactAuthError(401, "BadRequest", "invalid access token")
    if _aware(row.expires_at) <= datetime.now(UTC):
        raise PactAuthError(401, "TokenExpired", "the access token has expired")
    client = session.get(PactClient, row.client_id)
    if client is None or client.revoked_at is not None:
        raise PactAuthError(401, "BadRequest", "the client of this token has been revoked")
    return Caller(client.id, client.organisation_id, client.customer_organisation_id)
