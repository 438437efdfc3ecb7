"""JWS (RFC 7515) with Ed25519 (RFC 8037, RFC 9864) over the canonical bytes of an output.

* JSON documents (PACT ProductFootprints, EU declarations, JSON reports) are signed over their
  RFC 8785 (JCS) canonical form, so re-serialising them (other key order, other whitespace)
  does not break the signature; :func:`canonical_json` gives those bytes.
* Files (PDF, XLSX, CSV reports) are signed over their exact bytes.

A signature is a compact JWS whose protected header names the key (``kid``: the key's RFC 7638
thumbprint), the media type of the content (``cty``) and, for JSON, that it was canonicalised
(``cellcarbon:canon: "jcs"``). It carries the payload (``sign``), or leaves it out (``sign``
with ``detached=True``, RFC 7515 Appendix F): the verifier then supplies the content.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey
from joserfc.registry import HeaderParameter

# RFC 9864 (2025) names the fully specified Ed25519 algorithm "Ed25519" and deprecates the
# polymorphic "EdDSA" of RFC 8037.
ALGORITHM = "Ed25519"
CANON_HEADER = "cellcarbon:canon"
# EdDSA only, and our one private header parameter (a collision-resistant name, RFC 7515 §4.2).
_REGISTRY = jws.JWSRegistry(
    header_registry={CANON_HEADER: HeaderParameter("canonicalisation of JSON content", "str")},
    algorithms=[ALGORITHM],
)


class VerificationError(ValueError):
    """A signature that does not verify; the message says which check failed."""


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair: ``kid`` is the public key's RFC 7638 thumbprint."""

    kid: str
    private_pem: bytes
    public_jwk: dict[str, str]


@dataclass(frozen=True)
class Verified:
    kid: str
    content: bytes
    content_type: str
    canonical_json: bool

    def json(self) -> Any:
        return json.loads(self.content)


def generate_key() -> SigningKey:
    key = OKPKey.generate_key("Ed25519")
    return _signing_key(key)


def load_key(private_pem: bytes) -> SigningKey:
    return _signing_key(OKPKey.import_key(private_pem))


def _signing_key(key: OKPKey) -> SigningKey:
    kid = key.thumbprint()
    public = {
        **{name: str(value) for name, value in key.as_dict(private=False).items()},
        "kid": kid,
        "alg": ALGORITHM,
        "use": "sig",
    }
    return SigningKey(kid=kid, private_pem=key.as_pem(private=True), public_jwk=public)


def jwks(public_jwks: list[dict[str, str]]) -> dict[str, Any]:
    """A JWK Set document (RFC 7517 §5) of public keys."""
    return {"keys": [dict(k) for k in public_jwks]}


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value (finite numbers only)."""
    return rfc8785.dumps(value)


def sign(
    content: bytes,
    key: SigningKey,
    content_type: str,
    *,
    json_canonical: bool = False,
    detached: bool = False,
) -> str:
    """A compact JWS of ``content``; without the payload when ``detached``."""
    header: dict[str, Any] = {"alg": ALGORITHM, "kid": key.kid, "cty": content_type}
    if json_canonical:
        header[CANON_HEADER] = "jcs"
    private = OKPKey.import_key(key.private_pem)
    token = jws.serialize_compact(header, content, private, registry=_REGISTRY)
    if detached:
        head, _, signature = token.split(".")
        return f"{head}..{signature}"
    return token


def sign_json(value: Any, key: SigningKey, content_type: str = "application/json") -> str:
    """A compact JWS over the canonical form of ``value`` (payload included)."""
    return sign(canonical_json(value), key, content_type, json_canonical=True)


def verify(token: str, public_jwks: list[dict[str, str]], content: bytes | None = None) -> Verified:
    """Check ``token`` against the keys; ``content`` is required for a detached signature.

    JSON content given for a JCS-signed token is canonicalised first, so a re-serialised copy
    of the document verifies; any change to a value does not.
    """
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise VerificationError("not a compact JWS (expected three dot-separated parts)")
    try:
        header = json.loads(_b64decode(parts[0]))
    except (ValueError, UnicodeDecodeError):
        raise VerificationError("the JWS header is not base64url JSON") from None
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise VerificationError(f"only {ALGORITHM} (Ed25519) signatures are accepted")
    kid = header.get("kid")
    keys = [k for k in public_jwks if k.get("kid") == kid]
    if not keys:
        raise VerificationError(f"unknown signing key '{kid}'")
    canonical = header.get(CANON_HEADER) == "jcs"
    if parts[1] == "":
        if content is None:
            raise VerificationError("detached signature: the signed content must be supplied")
        payload = _canonical_if_json(content) if canonical else content
        token = f"{parts[0]}.{_b64encode(payload)}.{parts[2]}"
    elif content is not None:
        embedded = _b64decode(parts[1])
        supplied = _canonical_if_json(content) if canonical else content
        if supplied != embedded:
            raise VerificationError("the supplied content differs from the signed content")
    try:
        result = jws.deserialize_compact(
            token, KeySet.import_key_set({"keys": [dict(k) for k in keys]}), registry=_REGISTRY
        )
    except JoseError as exc:
        raise VerificationError(f"signature does not verify ({exc.error})") from None
    return Verified(
        kid=str(kid),
        content=result.payload,
        content_type=str(header.get("cty", "")),
        canonical_json=canonical,
    )


def _canonical_if_json(content: bytes) -> bytes:
    try:
        return canonical_json(json.loads(content))
    except (ValueError, rfc8785.CanonicalizationError):
        raise VerificationError("the supplied content is not JSON it could be") from None


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
