"""`cellcarbon pact client create`, `cellcarbon pact share` and `cellcarbon tls selfsigned`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

from tests.pact.conftest import Instance, trust
from tests.servers import run_cli


def _cellcarbon(host: Instance, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=host.env, timeout=60)


def test_create_a_client_share_a_footprint_and_pull_it(
    host: Instance, tls_pair: tuple[Path, Path]
) -> None:
    created = _cellcarbon(
        host,
        "pact",
        "client",
        "create",
        "--name",
        "Tier-1 Integrator",
        "--organisation",
        "Cell Maker",
    )
    assert created.returncode == 0, created.stderr
    client_id = re.search(r"client_id: (\S+)", created.stdout)
    secret = re.search(r"client_secret \(shown once\): (\S+)", created.stdout)
    assert client_id and secret
    footprint_id = host.footprints["lfp"]["id"]
    shared = _cellcarbon(
        host, "pact", "share", "--client", client_id[1], "--footprint", footprint_id
    )
    assert shared.returncode == 0, shared.stderr
    with httpx.Client(base_url=host.base, verify=trust(tls_pair)) as http:
        token = http.post(
            "/auth/token",
            auth=(client_id[1], secret[1]),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        listed = http.get("/3/footprints", headers={"authorization": f"Bearer {token}"})
    assert [d["id"] for d in listed.json()["data"]] == [footprint_id]


def test_share_refuses_unknown_ids(host: Instance) -> None:
    result = _cellcarbon(
        host,
        "pact",
        "share",
        "--client",
        host.client_id,
        "--footprint",
        "00000000-0000-4000-8000-000000000000",
    )
    assert result.returncode == 1 and "no footprint" in result.stderr


def test_unknown_owner_organisation(host: Instance) -> None:
    result = _cellcarbon(host, "pact", "client", "create", "--name", "X", "--organisation", "?")
    assert result.returncode == 1 and "no organisation named ?" in result.stderr


def test_selfsigned_pair(host: Instance, tmp_path: Path) -> None:
    from cryptography import x509

    result = _cellcarbon(host, "tls", "selfsigned", str(tmp_path), "--host", "pact.test")
    assert result.returncode == 0, result.stderr
    certificate = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["pact.test"]
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600
