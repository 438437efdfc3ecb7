"""Ed25519 JWS over canonical bytes: a re-serialised document verifies, a changed byte does not."""

from __future__ import annotations

import json

import pytest

from app.signing.jose import (
    VerificationError,
    canonical_json,
    generate_key,
    jwks,
    load_key,
    sign,
    sign_json,
    verify,
)

DECLARATION = {"kg_co2e_per_kwh": 75.82, "stages": {"production": 13.5, "materials": 2.9}, "n": 1}


def test_json_signature_survives_reserialisation_and_catches_a_changed_value() -> None:
    key = generate_key()
    token = sign_json(DECLARATION, key)
    keys = [key.public_jwk]
    verified = verify(token, keys)
    assert verified.json() == DECLARATION and verified.kid == key.kid
    # The same document with other key order and whitespace: still verifies against it.
    reordered = json.dumps(dict(reversed(list(DECLARATION.items()))), indent=4).encode()
    assert verify(token, keys, content=reordered).canonical_json
    with pytest.raises(VerificationError, match="differs"):
        verify(token, keys, content=json.dumps({**DECLARATION, "n": 2}).encode())


def test_every_flipped_byte_of_a_detached_file_signature_fails() -> None:
    key = generate_key()
    content = b"%PDF-1.7 a report's bytes\n" * 3
    token = sign(content, key, "application/pdf", detached=True)
    assert token.split(".")[1] == ""
    assert verify(token, [key.public_jwk], content=content).content == content
    for position in range(len(content)):
        tampered = bytearray(content)
        tampered[position] ^= 0x01
        with pytest.raises(VerificationError):
            verify(token, [key.public_jwk], content=bytes(tampered))
    with pytest.raises(VerificationError, match="must be supplied"):
        verify(token, [key.public_jwk])


def test_a_flipped_signature_byte_an_unknown_key_and_another_alg_fail() -> None:
    key, other = generate_key(), generate_key()
    token = sign(b"abc", key, "text/plain")
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(VerificationError, match="does not verify"):
        verify(f"{head}.{payload}.{flipped}", [key.public_jwk])
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify(token, [other.public_jwk])
    # The other key published under this key's id: the signature does not verify with it.
    with pytest.raises(VerificationError, match="does not verify"):
        verify(token, [{**other.public_jwk, "kid": key.kid}])
    with pytest.raises(VerificationError):
        verify("not.a-jws", [key.public_jwk])


def test_keys_round_trip_and_publish_no_private_part() -> None:
    key = generate_key()
    again = load_key(key.private_pem)
    assert again.kid == key.kid and again.public_jwk == key.public_jwk
    document = jwks([key.public_jwk])
    assert set(document["keys"][0]) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert b"PRIVATE KEY" in key.private_pem and "d" not in document["keys"][0]


def test_canonical_json_is_rfc8785() -> None:
    """RFC 8785 §3.2.3: keys sorted by UTF-16 code units; numbers in shortest ECMAScript form."""
    assert canonical_json({"b": 1.0, "a": [1e21, 0.1], "€": "x", "\r": 1}) == (
        b'{"\\r":1,"a":[1e+21,0.1],"b":1,"\xe2\x82\xac":"x"}'
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("inf")})
