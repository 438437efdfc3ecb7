"""Asking for a signed output: ``Accept: application/jose`` on the routes that serve one.

RFC 7515 §9.2.1 registers ``application/jose`` for the compact serialisation: the answer is
the same document or file, as a compact JWS carrying it (the ``cty`` header says what it is).
"""

from __future__ import annotations

from fastapi import Response

JOSE = "application/jose"


def wants_jose(accept: str | None) -> bool:
    """True when ``Accept`` names application/jose with a non-zero quality."""
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() != JOSE:
            continue
        quality = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            return float(quality) > 0
        except ValueError:
            return False
    return False


def without_jose(accept: str | None) -> str | None:
    """``Accept`` without its application/jose entry: what to negotiate the inner format on."""
    rest = [
        part
        for part in (accept or "").split(",")
        if part.split(";")[0].strip().lower() not in (JOSE, "")
    ]
    return ", ".join(p.strip() for p in rest) or None


def jose_response(token: str, headers: dict[str, str] | None = None) -> Response:
    return Response(token, media_type=JOSE, headers={"Vary": "Accept", **(headers or {})})
