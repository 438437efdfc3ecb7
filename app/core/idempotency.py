"""``Idempotency-Key`` on POST requests: a retried request gets the original response back.

One ASGI middleware serves every creating route under ``/v1/`` (``POST /v1/boms``,
``/v1/boms/import``, ``/v1/boms/{id}/footprints``, ``/v1/suppliers`` …), so no route handles it:

* A key the organisation has used before is answered by the middleware alone, from its row;
  a unique constraint on (organisation, key) keeps one row per key, so one effect per key.
* A 2xx response is stored (status, headers, body) and replayed to every later request with the
  same key and the same request (method, path, query, content type, body: SHA-256), with the
  header ``Idempotent-Replayed: true``. Any other outcome stores nothing (nothing was created,
  so a retry may run again).
* The stored response is written in the request's own transaction, with what the request
  created: the middleware leaves its claim in ``scope["state"]``, the route layer keeps the
  response it built (:func:`record_responses`) and the session dependency inserts the key row
  just before it commits (:func:`complete_claim`). A process killed at any point leaves either
  both the effect and its stored response, or neither — never a key stuck "in progress" nor a
  second effect for a response the client already saw.
* Two requests with one key at the same time: on PostgreSQL the first takes a transaction-level
  advisory lock on the key (:func:`lock_claim`), and the second gets 409 at once; the lock dies
  with the transaction, so a crash frees it. SQLite serialises writers anyway: both may run, the
  second's insert of the key row fails at commit, its effect is rolled back and it gets 409 —
  a retry then replays the first's response.
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
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint, delete, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import insert_now
from app.core.errors import PROBLEM_JSON, AppError
from app.core.models import _timestamp
from app.core.runtime import get_engine
from app.core.settings import Settings

HEADER = "idempotency-key"
# Printable ASCII without spaces at either end, as Stripe and the IETF draft
# (draft-ietf-httpapi-idempotency-key-header) use: UUIDs and random tokens fit easily.
_VALID_KEY = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")
# Per-request headers that must not be replayed (they describe the replay, not the original).
_NOT_REPLAYED = {b"content-length", b"date", b"server"}


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
    """What the look-up decided: run, replay, mismatch or pass."""

    action: str
    status: int = 0
    headers: list[list[str]] | None = None
    body: bytes = b""


@dataclass
class Claim:
    """A key the middleware found unused, handed to the route layer through ``scope["state"]``:
    the route records its response here, and the session dependency stores it."""

    organisation_id: uuid.UUID
    key: str
    fingerprint: str
    path: str
    response: Response | None = None
    stored: bool = False


class IdempotencyConflict(AppError):
    """Another request with the same Idempotency-Key is running, or has just finished."""

    status = 409
    title = "Conflict"


_STATE = "cellcarbon.idempotency"


def pending_claim(scope: Scope) -> Claim | None:
    """The claim of the running request, if it was sent with an unused Idempotency-Key."""
    state = scope.get("state")
    claim = state.get(_STATE) if state else None
    return claim if isinstance(claim, Claim) else None


def record_answer(scope: Scope, response: Response) -> Response:
    """``response`` as the answer the running request's claim stores (if it has one): set by
    every POST route's handler, and first by a route that commits before it returns (see
    app.access.deps.writer_scope)."""
    claim = pending_claim(scope)
    if claim is not None:
        claim.response = response
    return response


def _lock_id(claim: Claim) -> int:
    digest = hashlib.sha256(claim.organisation_id.bytes + claim.key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_claim(session: Session, claim: Claim) -> None:
    """Hold the key for this transaction (PostgreSQL), or 409 if another request holds it or
    completed it since the middleware looked (a retry then replays that one's response)."""
    if session.get_bind().dialect.name == "postgresql":
        held = session.execute(
            text("SELECT pg_try_advisory_xact_lock(:lock_id)"), {"lock_id": _lock_id(claim)}
        ).scalar_one()
        if not held:
            raise _busy(claim.key)
    # Cheaper than running the request only to fail on the unique key when it commits.
    taken = session.execute(
        select(IdempotencyKey.id).where(
            IdempotencyKey.organisation_id == claim.organisation_id,
            IdempotencyKey.key == claim.key,
        )
    ).first()
    if taken is not None:
        raise _busy(claim.key)


def complete_claim(session: Session, claim: Claim) -> None:
    """Insert the key row with the route's 2xx response, in the request's transaction (called
    just before it commits); a non-2xx answer stores nothing."""
    response = claim.response
    if response is None or not 200 <= response.status_code < 300:
        return
    headers = [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, value in response.raw_headers
        if name.lower() not in _NOT_REPLAYED
    ]
    now = datetime.now(UTC)
    row = IdempotencyKey(
        organisation_id=claim.organisation_id,
        key=claim.key,
        request_sha256=claim.fingerprint,
        method="POST",
        path=claim.path[:2000],
        response_status=response.status_code,
        response_headers=headers,
        response_body=bytes(response.body),
        created_at=now,
        completed_at=now,
    )
    try:
        insert_now(session, row)
    except IntegrityError:
        # A request with this key committed since the look-up (SQLite lets both run): it wins,
        # this one's effect is rolled back with the transaction.
        raise _busy(claim.key) from None
    claim.stored = True


def _busy(key: str) -> IdempotencyConflict:
    return IdempotencyConflict(
        f"a request with Idempotency-Key '{key}' is being or was just processed; "
        "retry to get its response",
        headers={"Retry-After": "1"},
    )


def record_responses(router: APIRouter) -> APIRouter:
    """Make every creating route of ``router`` under ``/v1/`` keep the response it built in the
    request's claim, where the session dependency finds it before committing. Called on each
    router before it is included (inclusion builds the handlers)."""
    for route in router.routes:
        # Once per route: a router is included again by every app a process creates.
        recorded = "get_route_handler" in vars(route)
        if isinstance(route, APIRoute) and "POST" in (route.methods or ()) and not recorded:
            # The instance attribute shadows the class's method: the routers stay plain
            # APIRouters, and the hot path of routes without a claim pays one attribute lookup.
            route.get_route_handler = _recording(route.get_route_handler)  # type: ignore[method-assign]
    return router


def _recording(
    make_handler: Callable[[], Callable[[Request], Coroutine[Any, Any, Response]]],
) -> Callable[[], Callable[[Request], Coroutine[Any, Any, Response]]]:
    def make() -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = make_handler()

        async def handle(request: Request) -> Response:
            return record_answer(request.scope, await handler(request))

        return handle

    return make


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
        outcome, organisation_id = await run_in_threadpool(
            self._look_up, authorization, scope["path"], key, fingerprint
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
        elif outcome.action == "replay":
            await _send_stored(send, outcome)
        else:
            assert organisation_id is not None
            claim = Claim(organisation_id, key, fingerprint, scope["path"])
            scope.setdefault("state", {})[_STATE] = claim
            await self.app(scope, replay_receive, send)

    def _engine(self) -> Any:
        return get_engine(self.settings)

    def _look_up(
        self, authorization: str | None, path: str, key: str, fingerprint: str
    ) -> tuple[_Outcome, uuid.UUID | None]:
        """Whether the key was used already (replay it, or 422), or is free (run)."""
        with Session(self._engine()) as session:
            organisation_id = self.creator(session, authorization, path)
            if organisation_id is None:
                # Not allowed to create anything: let the route answer 401/403 as usual.
                return _Outcome("pass"), None
            now = datetime.now(UTC)
            ttl = timedelta(hours=self.settings.idempotency_ttl_hours)
            row = session.exec(
                select(IdempotencyKey).where(
                    IdempotencyKey.organisation_id == organisation_id,
                    IdempotencyKey.key == key,
                )
            ).first()
            if row is not None:
                expired = now - _aware(row.created_at) > ttl
                # A row without a response was claimed by an earlier version, which stored the
                # response in a second transaction, and died in between: nothing to replay.
                if not expired and row.response_status is not None:
                    if row.request_sha256 != fingerprint:
                        return _Outcome("mismatch"), None
                    return _Outcome(
                        "replay",
                        status=row.response_status,
                        headers=row.response_headers or [],
                        body=row.response_body or b"",
                    ), None
                session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.id) == row.id))
            self._purge_expired(session, organisation_id, now - ttl)
            return _Outcome("run"), organisation_id

    @staticmethod
    def _purge_expired(session: Session, organisation_id: uuid.UUID, before: datetime) -> None:
        session.execute(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.organisation_id) == organisation_id,
                col(IdempotencyKey.created_at) < before,
            )
        )
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
