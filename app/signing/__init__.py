"""Signed outputs: Ed25519 keys per organisation and JWS over the canonical bytes of what we publish."""
