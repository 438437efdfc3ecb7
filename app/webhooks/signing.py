"""Signing of webhook deliveries, and the check a receiver makes.

Header ``CellCarbon-Signature: t=<unix seconds>,v1=<hex>`` where
``v1 = HMAC-SHA256(key=secret as UTF-8, message=f"{t}." + raw body bytes)``, as Stripe signs its
events: the timestamp inside the MAC lets a receiver refuse replays of an old delivery
(:data:`DEFAULT_TOLERANCE_SECONDS`), and the raw body (not re-serialised JSON) is what is signed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "CellCarbon-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The signature header is missing, malformed, too old, or does not match the body."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={signature(secret, moment, body)}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check ``header`` against ``body``: its timestamp, or :class:`InvalidSignature`."""
    if not header:
        raise InvalidSignature(f"no {SIGNATURE_HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise InvalidSignature("no timestamp t=") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = signature(secret, timestamp, body)
    # Several v1= values may be present while a secret is being rotated; one must match.
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise InvalidSignature("signature does not match")
    return timestamp
