"""PACT v3 host endpoints: OAuth2 token, discovery, ListFootprints, GetFootprint, Events.

Errors here are PACT error bodies ``{"code", "message"}`` (and RFC 6749 bodies on the token
endpoint), not the problem+json of /v1: PACT clients parse ``code``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.deps import SessionDep, SettingsDep
from app.core.repository import OrgRepository
from app.core.settings import Settings
from app.jobs.queue import PACT_FULFIL
from app.jobs.submit import submit_after_commit
from app.pact import auth
from app.pact.delivery import fulfilment_job
from app.pact.mapping import FILTERS, matching
from app.pact.service import (
    REQUEST_CREATED,
    record_event,
    shared_footprints,
    validate_event,
)
from app.signing.negotiation import jose_response, wants_jose
from app.signing.service import sign_document

# The cty of a signed ProductFootprint (PACT Technical Specification v3 data model).
PACT_PROFILE = 'application/json; profile="pact-productfootprint-v3"'


def pact_error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="pact"'} if status == 401 else None
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


class PactRoute(APIRoute):
    """Renders PACT and OAuth errors raised anywhere in a route (dependencies included)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if _needs_https(request.url.path) and not _over_https(request):
                return pact_error(
                    403,
                    "AccessDenied",
                    "the PACT API is served over HTTPS only (PACT v3 requires TLS); "
                    "this request came over plain HTTP",
                )
            try:
                return await handler(request)
            except auth.PactAuthError as exc:
                return pact_error(exc.status, exc.code, exc.message)
            except auth.OAuthError as exc:
                return JSONResponse(
                    {"error": exc.error, "error_description": exc.description},
                    status_code=exc.status,
                    headers={"Cache-Control": "no-store"}
                    | ({"WWW-Authenticate": 'Basic realm="pact"'} if exc.status == 401 else {}),
                )
            except RequestValidationError as exc:
                fields = ", ".join(".".join(map(str, e.get("loc", ()))) for e in exc.errors())
                return pact_error(400, "BadRequest", f"invalid request: {fields}")

        return handle


def _needs_https(path: str) -> bool:
    # Credentials and footprints: the token request carries the client secret, every /3/
    # request a bearer token. Discovery (/.well-known/…) carries neither.
    return path == "/auth/token" or path.startswith("/3/")


def _over_https(request: Request) -> bool:
    """Whether the request reached us over TLS: on a TLS socket of ours, or through a proxy
    named in ``CELLCARBON_PACT_TRUSTED_PROXIES`` that says it terminated TLS. (``cellcarbon
    serve`` turns uvicorn's own forwarded-header handling off, so ``scheme`` is the socket's.)"""
    if request.url.scheme == "https":
        return True
    settings: Settings = request.app.state.settings
    client = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return client in settings.pact_trusted_proxies and forwarded == "https"


router = APIRouter(tags=["PACT"], route_class=PactRoute)


def _caller(request: Request, session: SessionDep) -> auth.Caller:
    return auth.authenticate(session, request.headers.get("authorization"))


CallerDep = Annotated[auth.Caller, Depends(_caller)]


def _base(request: Request) -> str:
    base = request.base_url
    if base.scheme == "http" and _over_https(request):
        # Behind a trusted TLS-terminating proxy: the URLs we publish are its https ones, or a
        # client would follow them to plain HTTP with its secret.
        base = base.replace(scheme="https")
    return str(base).rstrip("/")


@router.post("/auth/token")
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """OAuth2 client credentials grant: HTTP Basic client id/secret, form grant_type."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    grant_type = form["grant_type"][0] if form.get("grant_type") else None
    # Hashing the secret and writing the token block: on a worker thread, not the event loop.
    access_token, ttl = await run_in_threadpool(
        _issue_token, session, request.headers.get("authorization"), grant_type, settings
    )
    return JSONResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl},
        headers={"Cache-Control": "no-store"},
    )


def _issue_token(
    session: Session, authorization: str | None, grant_type: str | None, settings: Settings
) -> tuple[str, int]:
    issued = auth.issue_token(session, authorization, grant_type, settings.pact_token_ttl_s)
    session.commit()  # stored before the answer: a client may use the token at once
    return issued


@router.get("/.well-known/openid-configuration")
def openid_configuration(request: Request) -> dict[str, Any]:
    """Discovery document naming the token endpoint (PACT clients try this first)."""
    base = _base(request)
    return {
        "issuer": base,
        "token_endpoint": f"{base}/auth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "response_types_supported": ["token"],
    }


def _positive_int(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise auth.PactAuthError(400, "BadRequest", f"{name} must be an integer") from None
    if value < minimum:
        raise auth.PactAuthError(400, "BadRequest", f"{name} must be at least {minimum}")
    return value


@router.get("/3/footprints")
def list_footprints(
    request: Request, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """ListFootprints: footprints shared with the caller, filtered, a page at a time.

    A repeated filter parameter matches any of its values; different parameters must all
    match; values that match nothing give an empty list. When more remain, ``Link: <…>;
    rel="next"`` carries an absolute URL built from this request's own base URL.
    """
    most = settings.page_limit_max
    limit = min(_positive_int(request, "limit", most, 1), most)
    offset = _positive_int(request, "offset", 0, 0)
    filters = {name: request.query_params.getlist(name) for name in FILTERS}
    documents = matching(
        shared_footprints(
            session, caller, domain=settings.pact_issuer_domain, unit=settings.pact_declared_unit
        ),
        filters,
    )
    page = documents[offset : offset + limit]
    headers = {}
    if offset + limit < len(documents):
        params = [
            (k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")
        ]
        params += [("limit", str(limit)), ("offset", str(offset + limit))]
        headers["Link"] = f'<{request.url.replace(query=urlencode(params))}>; rel="next"'
    return JSONResponse({"data": page}, headers=headers)


@router.get("/3/footprints/{footprint_id}")
def get_footprint(
    footprint_id: str,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """GetFootprint: one footprint shared with the caller; 404 NotFound otherwise. With
    ``Accept: application/jose``, the ProductFootprint alone as a compact JWS by the data
    owner's key (over its RFC 8785 form)."""
    try:
        wanted = str(uuid.UUID(footprint_id))
    except ValueError:
        wanted = None
    for document in shared_footprints(
        session, caller, domain=settings.pact_issuer_domain, unit=settings.pact_declared_unit
    ):
        if document["id"] == wanted:
            if wants_jose(request.headers.get("accept")):
                owner = OrgRepository(session, caller.organisation_id, f"pact:{caller.client_id}")
                return jose_response(sign_document(owner, settings, document, PACT_PROFILE))
            return JSONResponse({"data": document})
    return pact_error(404, "NotFound", f"no footprint {footprint_id} is shared with you")


@router.post("/3/events")
async def events(
    request: Request, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Events: RequestCreatedEvent (answered later by a RequestFulfilled/RejectedEvent posted
    to the requester's events endpoint), PublishedEvent, and replies; 200, empty body."""
    try:
        event = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return pact_error(400, "BadRequest", "the body is not JSON")
    event = validate_event(event)
    own_source = "//" + _base(request).split("://", 1)[1] + "/3/events"
    # The body had to be awaited here; the database work goes to a worker thread, as a plain
    # route's would, instead of blocking this worker's event loop.
    await run_in_threadpool(_accept_event, session, caller, event, own_source, settings)
    return Response(status_code=200)


def _accept_event(
    session: Session,
    caller: auth.Caller,
    event: dict[str, Any],
    own_source: str,
    settings: Settings,
) -> None:
    """Log the event and, for a request, the job that replies to it, in one transaction."""
    row = record_event(session, caller, event)
    if row is None:
        return  # a repeat of an event already accepted
    if event["type"] == REQUEST_CREATED:
        job_id = fulfilment_job(session, row, own_source)  # committed with the event, or not
        submit_after_commit(session, job_id, PACT_FULFIL, settings)
    session.commit()  # logged before we answer; the reply job reads it in its own transaction
