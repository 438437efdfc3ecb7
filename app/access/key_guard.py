"""A writing request's API key checked by its write, not by a query of its own.

A key whose secret this process has verified once is remembered (salt, hash and the columns a
request needs, never the secret). A writing route that uses :func:`guarded_principal` then
starts its work with no query: its first audited write (``OrgRepository.insert_audited``) is
an ``INSERT … SELECT … WHERE EXISTS (the key, not revoked, not expired)``, so the database
checks the key in the same statement, in the request's transaction, on every request and every
worker. If the key was revoked or has expired, that statement stores nothing; the request rolls
back and answers the same 401 as a request that read the key first. A request that ends with
no guarded write (an error, or a route that writes otherwise) reads the key row before it
answers, as every request did before, so no answer ever depends on the remembered row alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, and_, bindparam, exists, or_, select
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from app.access.keys import (
    _CHALLENGE,
    _KEYS,
    Principal,
    VerifiedKey,
    check_expiry,
    parse_token,
    principal_of,
    secret_matches,
    verified_key,
)
from app.core.errors import Unauthorized

# Built once: app.core.db caches the compiled statement per guard condition.
KEY_VALID = exists(
    select(_KEYS.c.id).where(
        and_(
            _KEYS.c.id == bindparam("guard_key_id", type_=_KEYS.c.id.type),
            _KEYS.c.revoked_at.is_(None),
            or_(
                _KEYS.c.expires_at.is_(None),
                _KEYS.c.expires_at > bindparam("guard_now", type_=DateTime(timezone=True)),
            ),
        )
    )
)

_REMEMBERED = 4096
_remembered: OrderedDict[str, tuple[VerifiedKey, Principal]] = OrderedDict()
_lock = threading.Lock()


class KeyGuard:
    """The condition "this key is still valid", for :class:`app.core.db.WriteGuard`."""

    condition: ColumnElement[bool] = KEY_VALID

    def __init__(self, key: VerifiedKey, authorization: str | None) -> None:
        self.key = key
        self.authorization = authorization
        self.parameters: dict[str, Any] = {
            "guard_key_id": key.key_id,
            "guard_now": datetime.now(UTC),
        }
        self.passed = False

    def refused(self, session: Session) -> None:
        """The key is no longer valid: the 401 a request reading it first would answer."""
        confirm(session, self.key.prefix, self.authorization)
        raise Unauthorized("this API key is no longer valid", headers=_CHALLENGE)


def confirm(session: Session, prefix: str, authorization: str | None) -> None:
    """Read the key row now: forget it and raise its 401 if it is no longer valid."""
    try:
        verified_key(session, authorization)
    except Unauthorized:
        forget(prefix)
        raise


def forget(prefix: str) -> None:
    with _lock:
        _remembered.pop(prefix, None)


def guarded_principal(
    session: Session, authorization: str | None
) -> tuple[Principal, KeyGuard | None]:
    """The caller, and the guard its first write must carry; with no guard (None) the key row
    was read now, as :func:`app.access.keys.authenticate` does (the first request of a key in
    this process, or a token that does not match what is remembered)."""
    token = parse_token(authorization)
    if token is not None:
        with _lock:
            found = _remembered.get(token[0])
        if found is not None and secret_matches(found[0], token[1]):
            check_expiry(found[0])
            return found[1], KeyGuard(found[0], authorization)
    key = verified_key(session, authorization)
    principal = principal_of(key)
    with _lock:
        _remembered[key.prefix] = (key, principal)
        while len(_remembered) > _REMEMBERED:
            _remembered.popitem(last=False)
    return principal, None
