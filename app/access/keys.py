"""API keys: random, shown once, stored as a salted SHA-256, scoped, expiring and revocable.

A key reads ``cc_<prefix>_<secret>``. The prefix (random, not secret) finds the row; the secret is
checked against ``sha256(salt + secret)`` in constant time. Scopes:

* ``read`` — GET requests; ``write`` — also creates (implies read); ``admin`` — also keys and
  the audit log (implies write);
* ``supplier-reports`` — a key given to one supplier (``supplier_id``): it may only read that
  supplier's sites and submit and read its energy reports, for the organisation that invited it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.access.models import ApiKey, Organisation
from app.core.audit import CLI_ACTOR, record
from app.core.errors import AppError, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from lca.errors import FieldProblem

SCOPES = ("read", "write", "admin", "supplier-reports")
_IMPLIED = {"admin": {"admin", "write", "read"}, "write": {"write", "read"}, "read": {"read"}}
_TOKEN = re.compile(r"^cc_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cellcarbon"'}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organisation, the key and what it may do."""

    organisation_id: uuid.UUID
    key_id: uuid.UUID
    key_name: str
    scopes: frozenset[str]
    supplier_id: uuid.UUID | None

    @property
    def actor(self) -> str:
        return f"api-key:{self.key_name} ({self.key_id})"

    def allows(self, scope: str) -> bool:
        return any(scope in _IMPLIED.get(granted, {granted}) for granted in self.scopes)


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256((salt + secret).encode()).hexdigest()


def create_key(
    session: Session,
    organisation_id: uuid.UUID,
    name: str,
    scopes: list[str],
    *,
    expires_at: datetime | None = None,
    supplier_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key; return the row and the token, which is never shown again."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            "invalid scopes",
            [FieldProblem(("scopes",), f"scopes must be among {SCOPES}; got {scopes}")],
        )
    if ("supplier-reports" in scopes) != (supplier_id is not None) or (
        "supplier-reports" in scopes and len(scopes) > 1
    ):
        raise InvalidInput(
            "invalid scopes",
            [FieldProblem(("scopes",), "a supplier key has the single scope 'supplier-reports'")],
        )
    prefix, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
    key = ApiKey(
        organisation_id=organisation_id,
        name=name,
        prefix=prefix,
        salt=salt,
        secret_sha256=_digest(salt, secret),
        scopes=sorted(scopes),
        supplier_id=supplier_id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key, f"cc_{prefix}_{secret}"


def create_organisation(
    session: Session, name: str, actor: str = CLI_ACTOR
) -> tuple[Organisation, ApiKey, str]:
    """A new organisation with its first admin key (for bootstrapping a fresh install); both
    are audited as ``actor``'s acts."""
    if session.exec(select(Organisation).where(Organisation.name == name)).first() is not None:
        raise InvalidInput(
            "organisation exists",
            [FieldProblem(("name",), f"an organisation named '{name}' exists")],
        )
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    key, token = create_key(session, organisation.id, "first admin key", ["admin"])
    record(
        session, organisation.id, actor, "create", "organisation", organisation.id, {"name": name}
    )
    record(
        session,
        organisation.id,
        actor,
        "create",
        "api_key",
        key.id,
        {"name": key.name, "scopes": key.scopes},
    )
    return organisation, key, token


_KEYS = ApiKey.__table__  # type: ignore[attr-defined]
_KEY_BY_PREFIX = sa_select(
    _KEYS.c.id,
    _KEYS.c.organisation_id,
    _KEYS.c.name,
    _KEYS.c.salt,
    _KEYS.c.secret_sha256,
    _KEYS.c.scopes,
    _KEYS.c.supplier_id,
    _KEYS.c.expires_at,
    _KEYS.c.revoked_at,
).where(_KEYS.c.prefix == bindparam("prefix"))


def authenticate(session: Session, authorization: str | None) -> Principal:
    """The principal behind an ``Authorization: Bearer cc_…`` header, or 401."""
    return principal_of(verified_key(session, authorization))


@dataclass(frozen=True)
class VerifiedKey:
    """A key row whose secret matched the request's token, with the columns checked."""

    prefix: str
    salt: str
    secret_sha256: str
    organisation_id: uuid.UUID
    key_id: uuid.UUID
    name: str
    scopes: tuple[str, ...]
    supplier_id: uuid.UUID | None
    expires_at: datetime | None


def parse_token(authorization: str | None) -> tuple[str, str] | None:
    """The prefix and secret of an ``Authorization: Bearer cc_…`` header, or 401 without
    one; None for a token that cannot be a key."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send an API key as 'Authorization: Bearer cc_…'", headers=_CHALLENGE)
    match = _TOKEN.match(authorization[7:].strip())
    return (match.group(1), match.group(2)) if match else None


def verified_key(session: Session, authorization: str | None) -> VerifiedKey:
    """The key row behind ``authorization``, read now, or the 401 that explains why not."""
    token = parse_token(authorization)
    key = None
    if token is not None:
        # Read on every request, so that a revocation holds at once on every worker; a Core
        # statement of the columns needed, not an ORM entity (a third of the cost).
        key = session.connection().execute(_KEY_BY_PREFIX, {"prefix": token[0]}).first()
    if key is None or not hmac.compare_digest(key.secret_sha256, _digest(key.salt, token[1])):  # type: ignore[index]
        raise Unauthorized("unknown API key", headers=_CHALLENGE)
    if key.revoked_at is not None:
        raise Unauthorized("this API key has been revoked", headers=_CHALLENGE)
    verified = VerifiedKey(
        token[0],  # type: ignore[index]
        key.salt,
        key.secret_sha256,
        key.organisation_id,
        key.id,
        key.name,
        tuple(key.scopes),
        key.supplier_id,
        None if key.expires_at is None else _aware(key.expires_at),
    )
    check_expiry(verified)
    return verified


def check_expiry(key: VerifiedKey) -> None:
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise Unauthorized("this API key has expired", headers=_CHALLENGE)


def secret_matches(key: VerifiedKey, secret: str) -> bool:
    return hmac.compare_digest(key.secret_sha256, _digest(key.salt, secret))


def principal_of(key: VerifiedKey) -> Principal:
    scopes = frozenset(key.scopes)
    return Principal(key.organisation_id, key.key_id, key.name, scopes, key.supplier_id)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_SUPPLIER_PATHS = (
    ("GET", re.compile(r"^/v1/suppliers/(?P<id>[0-9a-f-]{36})$")),
    ("GET", re.compile(r"^/v1/suppliers/(?P<id>[0-9a-f-]{36})/sites$")),
    ("GET", re.compile(r"^/v1/suppliers/(?P<id>[0-9a-f-]{36})/energy-reports$")),
    ("POST", re.compile(r"^/v1/suppliers/(?P<id>[0-9a-f-]{36})/energy-reports$")),
)


def authorise(principal: Principal, method: str, path: str) -> None:
    """403 unless the key's scopes allow ``method`` on ``path`` (tenancy is checked by queries)."""
    if principal.scopes == {"supplier-reports"}:
        for allowed_method, pattern in _SUPPLIER_PATHS:
            match = pattern.match(path)
            if (
                method == allowed_method
                and match
                and match.group("id") == str(principal.supplier_id)
            ):
                return
        raise Forbidden("a supplier key may only read its sites and submit energy reports")
    needed = "read" if method in ("GET", "HEAD", "OPTIONS") else "write"
    if not principal.allows(needed):
        raise Forbidden(f"this API key lacks the '{needed}' scope")


def require_admin(principal: Principal) -> None:
    if not principal.allows("admin"):
        raise Forbidden("this API key lacks the 'admin' scope")


class RateLimiter:
    """Token bucket per key, in this process: ``limit`` requests per ``window`` seconds.

    With several workers each keeps its own bucket, so the effective limit is per worker; the
    response headers say what this worker allows.
    """

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    def take(self, key_id: Hashable) -> dict[str, str]:
        """Spend one request; return the rate-limit headers, or raise 429."""
        now = time.monotonic()
        rate = self.limit / self.window
        with self._lock:
            tokens, stamp = self._buckets.get(key_id, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - stamp) * rate)
            if tokens < 1:
                retry = (1 - tokens) / rate
                headers = self._headers(0, retry)
                headers["Retry-After"] = str(max(1, round(retry)))
                raise TooManyRequests(
                    f"rate limit of {self.limit} requests per {self.window:g} s", headers=headers
                )
            tokens -= 1
            self._buckets[key_id] = (tokens, now)
        return self._headers(int(tokens), (self.limit - tokens) / rate)

    def give_back(self, key_id: Hashable) -> None:
        """Return the request just spent (one that is not to count, e.g. a sign-in that
        succeeded, when only failures are limited)."""
        with self._lock:
            if key_id in self._buckets:
                tokens, stamp = self._buckets[key_id]
                self._buckets[key_id] = (min(float(self.limit), tokens + 1), stamp)

    def _headers(self, remaining: int, reset_s: float) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(max(0, round(reset_s))),
        }


def expiry(days: int | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(days=days) if days else None


def creating_organisation(
    session: Session, authorization: str | None, path: str
) -> uuid.UUID | None:
    """The organisation whose key may POST to ``path`` (to create something), else None."""
    try:
        principal = authenticate(session, authorization)
        authorise(principal, "POST", path)
    except AppError:
        return None
    return principal.organisation_id
