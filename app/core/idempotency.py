"""``Idempotency-Key`` on POST requests: a retried request gets the original response back.

One ASGI middleware serves every creating route under ``/v1/`` (``POST /v1/boms``,
``/v1/boms/import``, ``/v1/boms/{id}/footprints``, ``/v1/suppliers`` …), so no route handles it:

* The first request with a key claims it by inserting a row; a unique constraint on
  (organisation, key) makes the first writer win, so two concurrent requests with one key
  never both run: the loser gets 409 (still in progress) or, once the winner finished, its
  response.
* A 2xx response is stored (status, headers, body) and replayed to every later request with the
  same key and the same request (method, path, query, content type, body: SHA-256), with the
  header ``Idempotent-Replayed: true``. Any other outcome releases the key (nothing was
  created, so a retry may run again).
* The same key with a different request → 422; keys are scoped to the caller's organisation
  (from its API key) and expire ``CELLCARBON_IDEMPOTENCY_TTL_HOURS`` (default 24) after first use.

Multipart bodies are hashed with their boundary replaced by a constant, because clients (curl,
browsers) draw a new random boundary for each attempt of the same upload.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic import Field as SettingField
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_JSON
from app.core.models import _timestamp
from app.core.runtime import get_engine
from app.core.settings import Settings

HEADER = "idempotency-key"
# Printable ASCII without spaces at either end, as Stripe and the IETF draft
# (draft-ietf-httpapi-idempotency-key-header) use: UUIDs and random tokens fit easily.
_VALID_KEY = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")
# A claimed key whose request has not finished after this long is taken to be abandoned (the
# process died mid-request) and may be claimed again.
_ABANDONED_AFTER = timedelta(minutes=5)
# Per-request headers that must not be replayed (they describe the replay, not the original).
_NOT_REPLAYED = {b"content-length", b"date", b"server"}


class IdempotencySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CELLCARBON_IDEMPOTENCY_", extra="ignore")

    ttl_hours: float = SettingField(default=24.0, gt=0, description="how long a key is kept")


@lru_cache
def get_idempotency_settings() -> IdempotencySettings:
    return IdempotencySettings()


class IdempotencyKey(SQLModel, table=True):
    """A key a client sent, the request it came with, and the stored 2xx response."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    key: str = Field(max_length=255)
    request_sha256: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2000)
    response_status: int | None = None
    response_headers: list[list[str]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = _timestamp()
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


@dataclass(frozen=True)
class _Outcome:
    """What the claim decided: run (``row_id`` set), replay, mismatch, busy or pass."""

    action: str
    row_id: uuid.UUID | None = None
    status: int = 0
    headers: list[list[str]] | None = None
    body: bytes = b""


def request_fingerprint(
    method: str, path: str, query: bytes, content_type: str, body: bytes
) -> str:
    """SHA-256 of what makes two requests "the same" (boundary of multipart bodies neutralised)."""
    match = re.search(r"boundary=\"?([^\";]+)\"?", content_type, re.IGNORECASE)
    if match and content_type.lower().startswith("multipart/"):
        boundary = match.group(1).encode("latin-1")
        body = body.replace(boundary, b"BOUNDARY")
        content_type = content_type[: match.start()] + "boundary=BOUNDARY"
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, content_type.encode("latin-1"), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The organisation on whose behalf a POST with these credentials may create something at this
# path, or None: given by the access slice (core knows no keys or organisations).
CreatorOf = Callable[[Session, str | None, str], uuid.UUID | None]


class IdempotencyMiddleware:
    """Replays the stored response of a POST retried with the same ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, settings: Settings, creator: CreatorOf) -> None:
        self.app = app
        self.settings = settings
        self.creator = creator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_key = headers.get(HEADER.encode())
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _VALID_KEY.match(key):
            await _problem(
                send, 400, "Bad request", "Idempotency-Key must be 1–255 printable ASCII characters"
            )
            return
        body = await _read_body(receive)
        fingerprint = request_fingerprint(
            "POST",
            scope["path"],
            scope.get("query_string", b""),
            headers.get(b"content-type", b"").decode("latin-1"),
            body,
        )
        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        outcome = await run_in_threadpool(
            self._claim, authorization, scope["path"], key, fingerprint
        )
        replay_receive = _replaying(body, receive)
        if outcome.action == "pass":
            await self.app(scope, replay_receive, send)
        elif outcome.action == "mismatch":
            await _problem(
                send,
                422,
                "Invalid input",
                f"Idempotency-Key '{key}' was already used with a different request",
                [
                    {
                        "loc": ["header", "Idempotency-Key"],
                        "msg": "this key was used for another method, path or body; "
                        "use a new key for a new request",
                        "type": "idempotency_key_reused",
                    }
                ],
            )
        elif outcome.action == "busy":
            await _problem(
                send,
                409,
                "Conflict",
                f"a request with Idempotency-Key '{key}' is still being processed; retry later",
                extra_headers=[(b"retry-after", b"1")],
            )
        elif outcome.action == "replay":
            await _send_stored(send, outcome)
        else:
            assert outcome.row_id is not None
            await self._run_and_store(scope, replay_receive, send, outcome.row_id)

    async def _run_and_store(
        self, scope: Scope, receive: Receive, send: Send, row_id: uuid.UUID
    ) -> None:
        status = 0
        response_headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def capturing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers.extend(
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in message.get("headers", [])
                    if name.lower() not in _NOT_REPLAYED
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capturing_send)
        except BaseException:
            await run_in_threadpool(self._release, row_id)
            raise
        if 200 <= status < 300:
            await run_in_threadpool(self._store, row_id, status, response_headers, b"".join(chunks))
        else:
            await run_in_threadpool(self._release, row_id)

    def _engine(self) -> Any:
        return get_engine(self.settings)

    def _claim(self, authorization: str | None, path: str, key: str, fingerprint: str) -> _Outcome:
        with Session(self._engine()) as session:
            organisation_id = self.creator(session, authorization, path)
            if organisation_id is None:
                # Not allowed to create anything: let the route answer 401/403 as usual.
                return _Outcome("pass")
            now = datetime.now(UTC)
            ttl = timedelta(hours=get_idempotency_settings().ttl_hours)
            for _ in range(3):
                row = session.exec(
                    select(IdempotencyKey).where(
                        IdempotencyKey.organisation_id == organisation_id,
                        IdempotencyKey.key == key,
                    )
                ).first()
                if row is not None:
                    age = now - _aware(row.created_at)
                    abandoned = row.response_status is None and age > _ABANDONED_AFTER
                    if age > ttl or abandoned:
                        session.execute(
                            delete(IdempotencyKey).where(col(IdempotencyKey.id) == row.id)
                        )
                        session.commit()
                        continue
                    if row.request_sha256 != fingerprint:
                        return _Outcome("mismatch")
                    if row.response_status is None:
                        return _Outcome("busy")
                    return _Outcome(
                        "replay",
                        status=row.response_status,
                        headers=row.response_headers or [],
                        body=row.response_body or b"",
                    )
                claim = IdempotencyKey(
                    organisation_id=organisation_id,
                    key=key,
                    request_sha256=fingerprint,
                    method="POST",
                    path=path[:2000],
                )
                session.add(claim)
                try:
                    session.commit()
                except IntegrityError:
                    # Another request with this key committed first: it wins; look again.
                    session.rollback()
                    continue
                self._purge_expired(session, organisation_id, now - ttl)
                return _Outcome("run", row_id=claim.id)
        return _Outcome("busy")

    @staticmethod
    def _purge_expired(session: Session, organisation_id: uuid.UUID, before: datetime) -> None:
        session.execute(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.organisation_id) == organisation_id,
                col(IdempotencyKey.created_at) < before,
            )
        )
        session.commit()

    def _store(self, row_id: uuid.UUID, status: int, headers: list[list[str]], body: bytes) -> None:
        with Session(self._engine()) as session:
            row = session.get(IdempotencyKey, row_id)
            if row is None:  # expired and purged while the request ran
                return
            row.response_status = status
            row.response_headers = headers
            row.response_body = body
            row.completed_at = datetime.now(UTC)
            session.add(row)
            session.commit()

    def _release(self, row_id: uuid.UUID) -> None:
        with Session(self._engine()) as session:
            session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.id) == row_id))
            session.commit()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body to the app, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_stored(send: Send, outcome: _Outcome) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in outcome.headers or []
    ]
    headers += [
        (b"content-length", str(len(outcome.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
    await send({"type": "http.response.body", "body": outcome.body})


async def _problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        problem["errors"] = errors
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
