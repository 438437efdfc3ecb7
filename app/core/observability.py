"""Request ids, structured JSON logs and Prometheus metrics.

Every request gets an id (the caller's ``X-Request-ID`` if it is a sane token, else a new one),
echoed in the response and attached to every log line written while the request runs — and to
jobs and webhook deliveries it starts, which read :func:`current_request_id`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import loggable_error, unexpected_problem

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "cellcarbon_http_request_duration_seconds",
    "HTTP request latency by route template, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
FOOTPRINTS = Counter(
    "cellcarbon_footprints_total", "Footprints computed and stored", registry=REGISTRY
)
JOB_SECONDS = Histogram(
    "cellcarbon_job_duration_seconds",
    "Job run time by kind and outcome",
    ["kind", "status"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
JOBS_QUEUED = Gauge("cellcarbon_jobs_queued", "Jobs waiting to run", registry=REGISTRY)


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_header() -> dict[str, str]:
    """``X-Request-ID`` for an outgoing call made on behalf of a request (none outside one)."""
    request_id = _request_id.get()
    return {"X-Request-ID": request_id} if request_id else {}


@contextmanager
def request_id_context(request_id: str | None) -> Iterator[None]:
    """Run a block on behalf of request ``request_id`` (a job it caused): logs carry the id."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def metrics_text() -> bytes:
    return generate_latest(REGISTRY)


class RequestContext:
    """ASGI middleware: request id, one access-log line and a latency sample per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger("cellcarbon.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        began = time.perf_counter()
        status = 500
        started = False  # whether the response has begun: after that, an error can only abort

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with request_id_context(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                # Nothing else handled it: answer problem+json here, inside the request's
                # context, rather than let Starlette answer a bare text/plain 500.
                self.logger.error(
                    "unhandled error on %s %s",
                    scope["method"],
                    scope["path"],
                    extra=loggable_error(exc),
                )
                if started:
                    raise  # the response is half sent: all we can do is break the connection
                code, headers, body = unexpected_problem(exc, request_id)
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": code,
                        "headers": [
                            *((k.encode(), v.encode()) for k, v in headers.items()),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send_with_id({"type": "http.response.body", "body": body})
            finally:
                elapsed = time.perf_counter() - began
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                REQUEST_SECONDS.labels(template, scope["method"], str(status)).observe(elapsed)
                self.logger.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request that wrote it."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_JSON_LOGGERS = ("cellcarbon", "uvicorn.error")


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """JSON logs on stderr for the service's own loggers (uvicorn's access log is replaced), as
    a ``logging.config.dictConfig`` dictionary: uvicorn applies one given as ``log_config`` in
    every worker process it starts, which a configuration made in the parent never reaches."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level, "propagate": False}
            for name in _JSON_LOGGERS
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """Apply :func:`logging_config` in this process."""
    logging.config.dictConfig(logging_config(level))
