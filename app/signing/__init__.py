"""Signed outputs: Ed25519 keys per organisation, JWS over the canonical bytes we publish."""
