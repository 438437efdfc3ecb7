"""Browser sessions of the web interface: an API key is exchanged once for a session cookie.

The cookie carries a random token; the ``ui_session`` row keeps its SHA-256, the id of the key
it stands for and the session's CSRF token. Every request looks the key up again, so a revoked
or expired key ends its sessions at once. The key itself is never stored nor sent back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.access.keys import Principal, authenticate
from app.access.models import ApiKey
from app.core.errors import Forbidden, Unauthorized
from app.core.repository import OrgRepository
from app.ui.models import UiSession

SESSION_COOKIE = "cc_ui_session"
# The sign-in form has no session yet: its CSRF token is a cookie that the form repeats
# (double submit), so another site cannot sign a browser in with the attacker's key.
SIGN_IN_COOKIE = "cc_ui_sign_in"
# A working day: long enough not to interrupt work, short enough that a forgotten browser
# does not stay signed in for days.
SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class UiCaller:
    """A signed-in browser: who it acts as, and the token its forms must carry."""

    principal: Principal
    session_id: uuid.UUID
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def sign_in(session: Session, api_key: str) -> tuple[UiSession, str]:
    """A new session for ``api_key`` (401 if it is not a valid key); returns the row and the
    cookie's token, which is not stored."""
    principal = authenticate(session, f"Bearer {api_key.strip()}")
    if principal.scopes == {"supplier-reports"}:
        raise Forbidden("a supplier's key submits energy reports through the API, not this site")
    now = datetime.now(UTC)
    # Ended sessions of this key are of no further use: drop them, so rows do not pile up.
    for ended in session.exec(
        select(UiSession).where(
            UiSession.api_key_id == principal.key_id,
            col(UiSession.expires_at) <= now,
        )
    ).all():
        session.delete(ended)
    token = secrets.token_urlsafe(32)
    row = UiSession(
        organisation_id=principal.organisation_id,
        api_key_id=principal.key_id,
        token_sha256=_digest(token),
        csrf_token=new_csrf_token(),
        expires_at=now + SESSION_LIFETIME,
    )
    repo = OrgRepository(session, principal.organisation_id, principal.actor)
    repo.add(row)
    session.flush()
    repo.audit("create", "ui_session", row.id, {"api_key_id": str(principal.key_id)})
    return row, token


def signed_in(session: Session, token: str | None) -> UiCaller:
    """The caller behind a session cookie; 401 when there is none, or it or its key has ended."""
    if not token:
        raise Unauthorized("sign in with an API key")
    row = session.exec(select(UiSession).where(UiSession.token_sha256 == _digest(token))).first()
    now = datetime.now(UTC)
    if row is None or _aware(row.expires_at) <= now:
        raise Unauthorized("the session has ended; sign in again")
    key = session.get(ApiKey, row.api_key_id)
    if (
        key is None
        or key.revoked_at is not None
        or (key.expires_at is not None and _aware(key.expires_at) <= now)
    ):
        raise Unauthorized("the API key of this session is no longer valid; sign in again")
    principal = Principal(
        key.organisation_id, key.id, key.name, frozenset(key.scopes), key.supplier_id
    )
    return UiCaller(principal, row.id, row.csrf_token)


def sign_out(session: Session, caller: UiCaller) -> None:
    """End the caller's session (the row goes; the audit log keeps that it did)."""
    repo = OrgRepository(session, caller.principal.organisation_id, caller.principal.actor)
    row = repo.get(UiSession, caller.session_id, "session")
    session.delete(row)
    repo.audit("revoke", "ui_session", row.id, {"api_key_id": str(row.api_key_id)})


def check_csrf(expected: str, given: object) -> None:
    """403 unless the form carried the expected CSRF token."""
    if not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise Forbidden("the form was sent without its security token; reload the page and retry")
