"""ASGI middleware that refuses, with one 422 naming every field, JSON bodies whose text no
route should have to handle: duplicate object keys and control characters.

* **Duplicate keys.** ``{"name": "a", "name": "b"}`` is valid JSON to most parsers, which keep
  the last value: a proxy, a log or a signature check may read the first. RFC 8259 §4 says
  names SHOULD be unique; I-JSON (RFC 7493 §2.3) says they MUST. Refused, with the object's path.
* **Control characters** in any string, object keys included: C0 (U+0000–U+001F) except TAB,
  LF and CR, DEL (U+007F) and C1 (U+0080–U+009F). NUL cannot be stored in PostgreSQL text at
  all, and the rest have no place in names and identifiers; they hide text in terminals and
  logs. TAB, LF and CR stay allowed everywhere: descriptions and notes are legitimately
  multi-line, and this check, made once for every route, does not know which fields are
  single-line (the schemas bound those by length and pattern where it matters).

Bodies sent without a content type are checked too (FastAPI parses them as JSON). Bodies that
are not JSON, or not valid JSON, are passed on untouched: the route's own parser
answers those.

The check parses the body; a route whose class is :class:`ParsedJsonRoute` takes that document
instead of parsing the same bytes a second time (a 10,000-variant batch is a 1 MB body).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_JSON

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAX_REPORTED = 50
_BODY_METHODS = {"POST", "PUT", "PATCH"}
# Where the guard leaves the document it decoded, for ParsedJsonRoute.
_SCOPE_KEY = "cellcarbon.json_body"


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it saw more than once."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    result.duplicates = []
    for key, value in pairs:
        if key in result and key not in result.duplicates:
            result.duplicates.append(key)
        result[key] = value
    return result


def body_problems(document: Any) -> list[dict[str, Any]]:
    """Every duplicate key and control character in a decoded ``document``, with its path."""
    problems: list[dict[str, Any]] = []
    stack: list[tuple[list[str | int], Any]] = [([], document)]
    while stack and len(problems) < _MAX_REPORTED:
        path, value = stack.pop()
        if isinstance(value, str):
            _check_text(problems, path, value)
        elif isinstance(value, list):
            stack.extend(([*path, index], item) for index, item in enumerate(value))
        elif isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                problems.append(
                    {
                        "loc": [*path, key],
                        "msg": f"key '{key}' appears more than once in this object; "
                        "send each key once",
                        "type": "duplicate_key",
                    }
                )
            for key, item in value.items():
                _check_text(problems, [*path, key], key, in_key=True)
                stack.append(([*path, key], item))
    problems.sort(key=lambda problem: [str(part) for part in problem["loc"]])
    return problems


def _check_text(
    problems: list[dict[str, Any]], path: list[str | int], text: str, in_key: bool = False
) -> None:
    match = _CONTROL.search(text)
    if match is None:
        return
    where = "in this key" if in_key else "in this text"
    problems.append(
        {
            "loc": path,
            "msg": f"control character U+{ord(match.group()):04X} {where} at position "
            f"{match.start()}; only tab, line feed and carriage return are allowed",
            "type": "control_character",
        }
    )


def _is_json(scope: Scope) -> bool:
    content_type = dict(scope.get("headers", [])).get(b"content-type")
    if content_type is None:
        return True  # FastAPI reads a body without a content type as JSON
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or media_type.endswith(b"+json")


class JsonBodyGuard:
    """Refuses JSON request bodies with duplicate keys or control characters (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees the same when it reads
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problems, document = _problems(body)
        if problems:
            await _refuse(send, scope, problems)
            return
        if document is not _NOT_PARSED:
            scope[_SCOPE_KEY] = (body, document)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# What a control character can look like in UTF-8 JSON text that parses: a \u escape of one
# (C0, DEL, C1), a raw DEL, or a raw C1 (UTF-8 C2 80–C2 9F). Raw C0 characters inside strings
# make the text invalid JSON, which the route's parser reports. A backslash escaped before
# "u00…" matches too: such a body only takes the slow path.
_MAYBE_CONTROL = re.compile(rb"\\u00[0189][0-9a-fA-F]|\\u007[fF]|\x7f|\xc2[\x80-\x9f]")


class _Duplicate(Exception):
    """An object of the body has a key twice (the slow path then says where)."""


def _plain_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


_NOT_PARSED = object()


def _problems(body: bytes) -> tuple[list[dict[str, Any]], Any]:
    """The body's problems, and the document as ``json.loads`` decodes it when it has none
    (``_NOT_PARSED`` when it was not decoded that way)."""
    if not body.strip():
        return [], _NOT_PARSED
    # The fast path, for the bodies nearly every request sends: no possible control character
    # in the bytes, and a parse that only counts each object's keys. A 10,000-variant batch
    # (1.3 MB) took 0.3 s CPU to walk in Python, most of its request.
    if json.detect_encoding(body) == "utf-8" and _MAYBE_CONTROL.search(body) is None:
        try:
            return [], json.loads(body, object_pairs_hook=_plain_object)
        except _Duplicate:
            pass  # find it, and any other problem, with its path
        except (ValueError, RecursionError):
            return [], _NOT_PARSED
    try:
        document = json.loads(body, object_pairs_hook=_object)
    except (ValueError, RecursionError):
        return [], _NOT_PARSED  # not JSON (or absurdly deep): the route's parser reports it
    return body_problems(document), _NOT_PARSED


class _ParsedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            parsed = self.scope.get(_SCOPE_KEY)
            # The guard's document, if it decoded these very bytes (what the route reads).
            if parsed is not None and parsed[0] == await self.body():
                self._json = parsed[1]
        return await super().json()


class ParsedJsonRoute(APIRoute):
    """A route that validates the document :class:`JsonBodyGuard` decoded, instead of decoding
    the body again (FastAPI's documented custom-request pattern)."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def with_parsed_body(request: Request) -> Response:
            return await handler(_ParsedJsonRequest(request.scope, request.receive))  # type: ignore[no-any-return]

        return with_parsed_body


async def _refuse(send: Send, scope: Scope, problems: list[dict[str, Any]]) -> None:
    fields = ", ".join(".".join(map(str, p["loc"])) or "body" for p in problems[:5])
    if scope["path"].startswith("/3/"):
        # The PACT API answers errors in PACT's own shape.
        status = 400
        document: dict[str, Any] = {"code": "BadRequest", "message": f"invalid request: {fields}"}
        media_type = "application/json"
    else:
        status = 422
        document = {
            "type": "about:blank",
            "title": "Invalid input",
            "status": 422,
            "detail": f"invalid fields: {fields}",
            "errors": problems,
        }
        media_type = PROBLEM_JSON
    payload = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
