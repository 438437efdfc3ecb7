"""Organisations' signing keys: made on first use, rotated on request, private parts sealed.

A private key leaves this module only as a :class:`app.signing.jose.SigningKey` handed to
:func:`app.signing.jose.sign`; nothing here logs it, and no response carries it.
"""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.access.models import Organisation
from app.core.errors import AppError
from app.core.models import utc_now
from app.core.repository import OrgRepository
from app.core.settings import Settings
from app.signing import jose
from app.signing.models import OrganisationSigningKey

logger = logging.getLogger("cellcarbon.signing")

# The Fernet key is derived from CELLCARBON_SIGNING_SECRET with scrypt (RFC 7914) at the cost
# RFC 7914 §2 suggests for interactive use (N=2^15, r=8, p=1: ~32 MiB, ~0.1 s), once per
# process: a guessable secret still costs an attacker that much per guess.
_KDF_SALT = b"cellcarbon signing keys at rest/1"
FERNET = "fernet"
PLAIN = "none"


class SigningUnavailable(AppError):
    """The organisation's private key cannot be opened with this server's signing secret."""

    status = 503
    title = "Signing unavailable"


@dataclass(frozen=True)
class KeyHolder:
    """Who holds a public key, as a verifier is told."""

    kid: str
    organisation_id: uuid.UUID
    organisation_name: str
    status: str  # "active" or "retired"


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    kdf = Scrypt(salt=_KDF_SALT, length=32, n=2**15, r=8, p=1)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(secret.encode())))


def _secret(settings: Settings) -> str | None:
    return settings.signing_secret.get_secret_value() if settings.signing_secret else None


def _seal(private_pem: bytes, settings: Settings) -> tuple[bytes, str]:
    secret = _secret(settings)
    if secret is None:
        return private_pem, PLAIN
    return _fernet(secret).encrypt(private_pem), FERNET


def _open(row: OrganisationSigningKey, settings: Settings) -> jose.SigningKey:
    if row.encryption == PLAIN:
        return jose.load_key(row.private_key)
    secret = _secret(settings)
    if secret is None:
        raise SigningUnavailable(
            f"signing key {row.kid} is encrypted and CELLCARBON_SIGNING_SECRET is not set"
        )
    try:
        return jose.load_key(_fernet(secret).decrypt(row.private_key))
    except InvalidToken:
        raise SigningUnavailable(
            f"signing key {row.kid} does not open with this server's CELLCARBON_SIGNING_SECRET"
        ) from None


def warn_if_unencrypted(settings: Settings) -> None:
    """At start-up: say once that private keys will be stored unencrypted."""
    if settings.signing_secret is None:
        logger.warning(
            "CELLCARBON_SIGNING_SECRET is not set: organisations' private signing keys are "
            "stored unencrypted in the database"
        )


def _status(row: OrganisationSigningKey) -> str:
    return "active" if row.active_for is not None else "retired"


def public_jwk(row: OrganisationSigningKey) -> dict[str, Any]:
    """The public JWK of ``row``, with whose key it is and since when it is retired.

    Extra JWK members are allowed (RFC 7517 §4); verifiers that do not know them ignore them.
    """
    jwk = {
        **row.public_jwk,
        "cellcarbon:organisation": str(row.organisation_id),
        "cellcarbon:status": _status(row),
    }
    if row.retired_at is not None:
        # SQLite gives back naive datetimes for timezone-aware columns; they are UTC.
        retired = row.retired_at if row.retired_at.tzinfo else row.retired_at.replace(tzinfo=UTC)
        jwk["cellcarbon:retired_at"] = retired.isoformat()
    return jwk


def _active_row(session: Session, organisation_id: uuid.UUID) -> OrganisationSigningKey | None:
    statement = select(OrganisationSigningKey).where(
        col(OrganisationSigningKey.active_for) == organisation_id
    )
    return session.exec(statement).first()


def _insert_if_none_active(repo: OrgRepository, settings: Settings) -> bool:
    """Add a new active key unless the organisation has one; True when this call added it.

    INSERT … ON CONFLICT DO NOTHING on the one-active-key constraint: a concurrent first use
    finds the other request's key instead of failing (no savepoint needed).
    """
    key = jose.generate_key()
    sealed, encryption = _seal(key.private_pem, settings)
    values = {
        "kid": key.kid,
        "organisation_id": repo.organisation_id,
        "active_for": repo.organisation_id,
        "public_jwk": key.public_jwk,
        "private_key": sealed,
        "encryption": encryption,
        "created_at": utc_now(),
    }
    table = OrganisationSigningKey.__table__  # type: ignore[attr-defined]
    dialect = repo.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["active_for"])
        .returning(table.c.kid)
    )
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT.
    added = repo.session.execute(statement).first() is not None
    if added:
        repo.audit("create", "signing_key", key.kid, key.public_jwk, encryption=encryption)
    return added


def active_key(repo: OrgRepository, settings: Settings) -> OrganisationSigningKey:
    """The organisation's active signing key, made now if it has none yet."""
    row = _active_row(repo.session, repo.organisation_id)
    if row is None:
        _insert_if_none_active(repo, settings)
        row = _active_row(repo.session, repo.organisation_id)
    if row is None:  # pragma: no cover - the insert or a concurrent one made it
        raise SigningUnavailable("no signing key could be made")
    return row


def rotate(repo: OrgRepository, settings: Settings) -> OrganisationSigningKey:
    """Retire the active key (kept for verification) and make a new one."""
    statement = (
        select(OrganisationSigningKey)
        .where(col(OrganisationSigningKey.active_for) == repo.organisation_id)
        .with_for_update()
    )
    current = repo.session.exec(statement).first()
    if current is not None:
        repo.session.execute(
            update(OrganisationSigningKey)
            .where(col(OrganisationSigningKey.kid) == current.kid)
            .values(active_for=None, retired_at=utc_now())
        )
        repo.audit("retire", "signing_key", current.kid, current.public_jwk)
        repo.session.expire(current)
    return active_key(repo, settings)


def organisation_keys(repo: OrgRepository) -> list[OrganisationSigningKey]:
    """The organisation's keys, newest first."""
    return repo.children(
        OrganisationSigningKey,
        OrganisationSigningKey.organisation_id,
        repo.organisation_id,
        col(OrganisationSigningKey.created_at).desc(),
    )


def organisation_key(repo: OrgRepository, kid: str) -> OrganisationSigningKey:
    return repo.get(OrganisationSigningKey, kid, "signing key")  # type: ignore[arg-type]


def all_public_keys(session: Session) -> list[dict[str, Any]]:
    """Every organisation's public keys, active and retired: the published JWK Set.

    Deliberately not scoped to one organisation: anyone may verify what anyone signed.
    """
    statement = select(OrganisationSigningKey).order_by(
        col(OrganisationSigningKey.organisation_id), col(OrganisationSigningKey.created_at)
    )
    return [public_jwk(row) for row in session.exec(statement).all()]


def key_holder(session: Session, kid: str) -> KeyHolder | None:
    row = session.get(OrganisationSigningKey, kid)
    if row is None:
        return None
    organisation = session.get(Organisation, row.organisation_id)
    name = organisation.name if organisation is not None else ""
    return KeyHolder(row.kid, row.organisation_id, name, _status(row))


def sign_bytes(
    repo: OrgRepository,
    settings: Settings,
    content: bytes,
    content_type: str,
    *,
    detached: bool = False,
) -> str:
    """A compact JWS of a file's exact bytes, by the organisation's active key."""
    key = _open(active_key(repo, settings), settings)
    return jose.sign(content, key, content_type, detached=detached)


def sign_document(repo: OrgRepository, settings: Settings, document: Any, content_type: str) -> str:
    """A compact JWS over the RFC 8785 canonical form of a JSON document."""
    key = _open(active_key(repo, settings), settings)
    return jose.sign(jose.canonical_json(document), key, content_type, json_canonical=True)
