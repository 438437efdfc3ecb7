"""What ``cellcarbon verify`` does: read a JWK Set and check a signed file against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from app.core.db import session_scope
from app.core.runtime import get_engine
from app.core.settings import Settings
from app.signing import jose
from app.signing.service import all_public_keys


def load_jwks(source: str | None, settings: Settings) -> list[dict[str, Any]]:
    """The public keys at a URL, in a file, or (``None``) in this server's database."""
    if source is None:
        with session_scope(get_engine(settings)) as session:
            return all_public_keys(session)
    try:
        if source.startswith(("https://", "http://")):
            response = httpx.get(source, timeout=10.0, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        else:
            document = json.loads(Path(source).read_text())
    except (httpx.HTTPError, OSError, ValueError) as exc:
        raise ValueError(f"cannot read the JWK Set {source}: {exc}") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError(f"{source} is not a JWK Set (no 'keys' list)")
    return [dict(key) for key in keys if isinstance(key, dict)]


def verify_file(
    path: Path, signature: Path | None, keys: list[dict[str, Any]]
) -> tuple[jose.Verified, str]:
    """Verify ``path`` (an attached JWS, or the content of the detached ``signature``);
    return the result and a description of the key's holder."""
    try:
        if signature is None:
            token, content = path.read_text().strip(), None
        else:
            token, content = signature.read_text().strip(), path.read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the signature: {exc}") from None
    verified = jose.verify(token, keys, content)  # a VerificationError is a ValueError
    jwk = next(key for key in keys if key.get("kid") == verified.kid)
    holder = str(jwk.get("cellcarbon:organisation", "(not named by the key set)"))
    status = jwk.get("cellcarbon:status")
    return verified, f"{holder} ({status} key)" if status else holder
