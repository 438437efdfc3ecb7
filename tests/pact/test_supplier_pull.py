"""The PACT client against a second CellCarbon instance acting as our supplier: token, list
with Link pagination, get; the pulled footprint imported as supplier data and used."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.pact.conftest import ROOT, Instance, trust


def _connection(instance: Instance, tls: tuple[Path, Path], **kwargs: Any):  # type: ignore[no-untyped-def]
    from app.pact.client import PactConnection, PactHost

    host = PactHost(
        instance.base, instance.client_id, instance.client_secret, verify=trust(tls), **kwargs
    )
    return PactConnection(host)


def test_client_follows_link_pagination(host: Instance, tls_pair: tuple[Path, Path]) -> None:
    """Four footprints, one per page: four requests chained by Link headers."""
    with _connection(host, tls_pair) as connection:
        pulled = list(connection.footprints(limit=1))
        one = connection.footprint(pulled[0]["id"])
    assert len(pulled) == 4 and len({d["id"] for d in pulled}) == 4
    assert one == pulled[0]


def test_client_reports_bad_credentials(host: Instance, tls_pair: tuple[Path, Path]) -> None:
    from app.pact.client import PactClientError, PactConnection, PactHost

    with pytest.raises(PactClientError, match="401"):
        PactConnection(PactHost(host.base, host.client_id, "wrong", verify=trust(tls_pair)))
    with pytest.raises(PactClientError, match="HTTPS only"):
        PactConnection(PactHost(f"http://127.0.0.1:{host.port}", "a", "b"))


def test_client_times_out_on_a_silent_host(tls_pair: tuple[Path, Path]) -> None:
    """A host that accepts the connection and never answers: an error after the timeout."""
    from app.pact.client import PactClientError, PactConnection, PactHost

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        base = f"https://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(PactClientError, match="Timeout"):
            PactConnection(PactHost(base, "a", "b", verify=trust(tls_pair), timeout_s=0.5))


def test_pull_a_supplier_footprint_and_use_it(
    host: Instance,
    supplier: Instance,
    tls_pair: tuple[Path, Path],
    real_background: Any,
    product_footprint_schema: Any,
) -> None:
    """`cellcarbon pact pull` on our side imports the supplier's cell footprint as its PCF for
    nmc811_cam (the supplier stands in for a material maker: what is tested is the exchange).

    Known answer: kg CO2e per kg = pcfExcludingBiogenicUptake / (declaredUnitAmount ×
    productMassPerDeclaredUnit), and the BOM line of 0.3309 kg from that supplier then weighs
    0.3309 × that, as primary (aggregated) data.
    """
    from app.boms.schemas import BomCreate
    from app.boms.service import create_bom
    from app.core.db import make_engine, session_scope
    from app.core.repository import OrgRepository
    from app.footprints.models import Footprint
    from app.footprints.service import compute_footprint
    from app.suppliers.schemas import SupplierCreate
    from app.suppliers.service import create_supplier

    with _connection(supplier, tls_pair) as connection:
        published = connection.footprint(supplier.footprints["cell"]["id"])
    assert product_footprint_schema.is_valid(published)
    engine = make_engine(host.database_url)
    with session_scope(engine) as session:
        record = create_supplier(
            OrgRepository(session, host.owner_id),
            SupplierCreate(name="Supplier Co", country="KR"),
        )
        supplier_id = record.id
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "pact", "pull"]
        + ["--base-url", supplier.base, "--client-id", supplier.client_id]
        + ["--organisation", "Cell Maker", "--supplier", str(supplier_id)]
        + ["--material", "nmc811_cam", "--ca-bundle", str(tls_pair[0])]
        + ["--product-id", published["productIds"][0]],
        cwd=ROOT,
        env={**host.env, "CELLCARBON_PACT_CLIENT_SECRET": supplier.client_secret},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    imported = json.loads(result.stdout)
    pcf = published["pcf"]
    per_kg = float(pcf["pcfExcludingBiogenicUptake"]) / (
        float(pcf["declaredUnitAmount"]) * float(pcf["productMassPerDeclaredUnit"])
    )
    assert imported["pact_id"] == published["id"] == supplier.footprints["cell"]["id"]
    assert imported["kg_co2e_per_kg"] == pytest.approx(per_kg, rel=1e-9)

    bom = json.loads((ROOT / "data" / "examples" / "nmc811_pouch.json").read_text())
    bom["name"] = "NMC811 pouch with the supplier's cathode material"
    bom["lines"][0]["supplier"] = str(supplier_id)
    assert bom["lines"][0]["material"] == "nmc811_cam"
    with session_scope(engine) as session:
        bom_id = create_bom(
            OrgRepository(session, host.owner_id), BomCreate.model_validate(bom), real_background
        ).id
    footprint_id = compute_footprint(
        bom_id, host.owner_id, engine=engine, background=real_background
    )
    with session_scope(engine) as session:
        footprint = session.get(Footprint, footprint_id)
        assert footprint is not None
        line = footprint.result["lines"][0]
        assert line["supplier_data"] == {"kind": "pcf", "id": imported["id"]}
        assert line["kg_co2e"] == pytest.approx(line["amount"] * per_kg, rel=1e-6)
        assert footprint.primary_data_share > 0
    engine.dispose()
    assert uuid.UUID(imported["id"])
