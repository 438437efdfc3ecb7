"""The PACT v3 host over TLS: token, discovery, bearer checks, ListFootprints, GetFootprint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pact.conftest import Instance, trust

CPC = "urn:pact:productclassification:un-cpc:46420"


def _product(host: Instance, label: str) -> str:
    return f"urn:pact:cellcarbon.local:product-id:{host.boms[label]}"


def _ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["data"]}


# --- transport and authentication -----------------------------------------------------------


def test_plain_http_on_the_tls_port_is_refused_not_redirected(host: Instance) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{host.port}/3/footprints", timeout=5, follow_redirects=False)


def test_openid_configuration_names_the_token_endpoint(host: Instance, tls_pair: Any) -> None:
    response = httpx.get(f"{host.base}/.well-known/openid-configuration", verify=trust(tls_pair))
    assert response.status_code == 200
    assert response.json()["token_endpoint"] == f"{host.base}/auth/token"


def test_token_for_good_credentials(host: Instance, tls_pair: Any) -> None:
    response = httpx.post(
        f"{host.base}/auth/token",
        auth=(host.client_id, host.client_secret),
        data={"grant_type": "client_credentials"},
        verify=trust(tls_pair),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) >= 40
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("credentials", "form", "status", "error"),
    [
        ("wrong-secret", {"grant_type": "client_credentials"}, 401, "invalid_client"),
        ("unknown-client", {"grant_type": "client_credentials"}, 401, "invalid_client"),
        ("none", {"grant_type": "client_credentials"}, 401, "invalid_client"),
        ("malformed", {"grant_type": "client_credentials"}, 400, "invalid_request"),
        ("good", {"grant_type": "password"}, 400, "unsupported_grant_type"),
        ("good", {}, 400, "unsupported_grant_type"),
    ],
)
def test_token_refused(
    host: Instance, tls_pair: Any, credentials: str, form: dict[str, str], status: int, error: str
) -> None:
    headers = {}
    auth: Any = None
    if credentials == "wrong-secret":
        auth = (host.client_id, "not-the-secret")
    elif credentials == "unknown-client":
        auth = ("7c1f0a55-0000-4000-8000-000000000000", host.client_secret)
    elif credentials == "malformed":
        headers["authorization"] = "Basic !!!not-base64"
    elif credentials == "good":
        auth = (host.client_id, host.client_secret)
    response = httpx.post(
        f"{host.base}/auth/token", auth=auth, data=form, headers=headers, verify=trust(tls_pair)
    )
    assert response.status_code == status
    assert response.json()["error"] == error


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 401, "BadRequest"),
        ("Bearer not-a-token", 401, "BadRequest"),
        ("Basic Zm9vOmJhcg==", 400, "BadRequest"),
    ],
)
def test_bad_bearer_gets_a_pact_error(
    host: Instance, tls_pair: Any, authorization: str | None, status: int, code: str
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    for path in ("/3/footprints", f"/3/footprints/{host.footprints['us']['id']}"):
        response = httpx.get(f"{host.base}{path}", headers=headers, verify=trust(tls_pair))
        assert response.status_code == status
        assert response.json()["code"] == code and response.json()["message"]
    events = httpx.post(f"{host.base}/3/events", headers=headers, json={}, verify=trust(tls_pair))
    assert events.status_code == status and events.json()["code"] == code


def test_expired_token_gets_token_expired(host: Instance, tls_pair: Any) -> None:
    from app.core.db import make_engine, session_scope
    from app.pact.auth import _sha256
    from app.pact.models import PactToken

    engine = make_engine(host.database_url)
    with session_scope(engine) as session:
        session.add(
            PactToken(
                token_sha256=_sha256("expired-token"),
                organisation_id=host.owner_id,
                client_id=uuid.UUID(host.client_id),
                expires_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
    engine.dispose()
    response = httpx.get(
        f"{host.base}/3/footprints",
        headers={"authorization": "Bearer expired-token"},
        verify=trust(tls_pair),
    )
    assert response.status_code == 401
    assert response.json()["code"] == "TokenExpired"


# --- ListFootprints -------------------------------------------------------------------------


def test_list_pages_with_absolute_link_headers(host: Instance, pact: httpx.Client) -> None:
    first = pact.get("/3/footprints", params={"limit": 3})
    assert first.status_code == 200, first.text
    assert len(first.json()["data"]) == 3
    next_url = first.links["next"]["url"]
    assert next_url.startswith(f"{host.base}/3/footprints?")
    second = pact.get(next_url)
    assert len(second.json()["data"]) == 1 and "link" not in second.headers
    seen = _ids(first) | _ids(second)
    assert seen == {f["id"] for k, f in host.footprints.items() if k != "other-client"}
    assert pact.get(next_url).json() == second.json()  # a pagination link can be called again


def test_link_keeps_filters_and_the_host_the_client_used(
    host: Instance, token: str, tls_pair: Any
) -> None:
    base = f"https://localhost:{host.port}"  # the certificate names localhost too
    response = httpx.get(
        f"{base}/3/footprints",
        params=[("limit", "1"), ("status", "Active"), ("geography", "US"), ("geography", "CN")],
        headers={"authorization": f"Bearer {token}"},
        verify=trust(tls_pair),
    )
    assert response.status_code == 200 and len(response.json()["data"]) == 1
    link = response.headers["link"]
    assert link.startswith(f"<{base}/3/footprints?") and link.endswith('>; rel="next"')
    assert "status=Active" in link and "geography=US" in link and "geography=CN" in link


@pytest.mark.parametrize("limit", ["0", "-1", "ten"])
def test_bad_limit_is_a_bad_request(pact: httpx.Client, limit: str) -> None:
    response = pact.get("/3/footprints", params={"limit": limit})
    assert response.status_code == 400 and response.json()["code"] == "BadRequest"


def test_filters_or_within_and_across(host: Instance, pact: httpx.Client) -> None:
    us, us2, cn, lfp = (host.footprints[k]["id"] for k in ("us", "us-v2", "cn", "lfp"))
    us_product, cn_product = _product(host, "us"), _product(host, "cn")
    assert _ids(pact.get("/3/footprints", params={"productId": us_product})) == {us, us2}
    assert _ids(
        pact.get("/3/footprints", params=[("productId", us_product), ("productId", cn_product)])
    ) == {us, us2, cn}
    # case-insensitive identifiers
    assert _ids(pact.get("/3/footprints", params={"productId": us_product.upper()})) == {us, us2}
    # different parameters: AND
    assert _ids(
        pact.get("/3/footprints", params={"productId": us_product, "status": "Active"})
    ) == {us2}
    assert (
        _ids(pact.get("/3/footprints", params={"productId": us_product, "geography": "CN"}))
        == set()
    )
    assert _ids(pact.get("/3/footprints", params={"status": "deprecated"})) == {us}
    assert _ids(pact.get("/3/footprints", params={"geography": "us"})) == {us, us2}
    assert _ids(pact.get("/3/footprints", params={"classification": CPC})) == {us, us2, cn, lfp}
    company = pact.get(f"/3/footprints/{us}").json()["data"]["companyIds"][0]
    assert _ids(pact.get("/3/footprints", params={"companyId": company})) == {us, us2, cn, lfp}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"validOn": "NOW"}, "all"),
        ({"validOn": "1990-01-01T00:00:00.000Z"}, "none"),
        ({"validAfter": "1990-01-01T00:00:00.000Z"}, "all"),
        ({"validAfter": "2100-01-01T00:00:00Z"}, "none"),
        ({"validBefore": "2100-01-01T00:00:00Z"}, "all"),
        ({"validBefore": "1990-01-01T00:00:00Z"}, "none"),
        ({"validOn": "not-a-date"}, "none"),
        ({"status": "Bogus"}, "none"),
        ({"productId": "urn:pact:nowhere:product-id:1"}, "none"),
        ({"companyId": "urn:pact:nowhere:company-id:1"}, "none"),
        ({"geography": "Atlantis"}, "none"),
        ({"classification": "urn:pact:productclassification:un-cpc:0"}, "none"),
    ],
)
def test_validity_and_unknown_values(
    host: Instance, pact: httpx.Client, params: dict[str, str], expected: str
) -> None:
    if params.get("validOn") == "NOW":
        params = {"validOn": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    response = pact.get("/3/footprints", params=params)
    assert response.status_code == 200
    shared = {f["id"] for k, f in host.footprints.items() if k != "other-client"}
    assert _ids(response) == (shared if expected == "all" else set())


def test_a_client_sees_only_what_was_shared_with_it(host: Instance, tls_pair: Any) -> None:
    other = host.footprints["other-client"]
    token = httpx.post(
        f"{host.base}/auth/token",
        auth=(other["id"], other["secret"]),
        data={"grant_type": "client_credentials"},
        verify=trust(tls_pair),
    ).json()["access_token"]
    headers = {"authorization": f"Bearer {token}"}
    listed = httpx.get(f"{host.base}/3/footprints", headers=headers, verify=trust(tls_pair))
    assert listed.status_code == 200 and listed.json() == {"data": []}
    one = httpx.get(
        f"{host.base}/3/footprints/{host.footprints['us']['id']}",
        headers=headers,
        verify=trust(tls_pair),
    )
    assert one.status_code == 404 and one.json()["code"] == "NotFound"


# --- GetFootprint and the ProductFootprint itself -------------------------------------------


@pytest.mark.parametrize("footprint_id", ["3c3b06ac-0000-4000-8000-000000000000", "not-a-uuid"])
def test_unknown_footprint_is_not_found(pact: httpx.Client, footprint_id: str) -> None:
    response = pact.get(f"/3/footprints/{footprint_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound" and response.json()["message"]


def test_every_published_footprint_conforms_to_the_v3_schema(
    pact: httpx.Client, product_footprint_schema: Any
) -> None:
    listed = pact.get("/3/footprints").json()["data"]
    assert len(listed) == 4
    for document in listed:
        errors = [e.message for e in product_footprint_schema.iter_errors(document)]
        assert errors == [], (document["id"], errors)
        assert pact.get(f"/3/footprints/{document['id']}").json() == {"data": document}


def test_the_schema_rejects_numbers_where_decimals_are_strings(
    pact: httpx.Client, host: Instance, product_footprint_schema: Any
) -> None:
    document = pact.get(f"/3/footprints/{host.footprints['us']['id']}").json()["data"]
    document["pcf"]["pcfExcludingBiogenicUptake"] = 17.5
    assert not product_footprint_schema.is_valid(document)


def test_mapping_of_a_cell_footprint(host: Instance, pact: httpx.Client) -> None:
    """The US cell as computed by /v1 and as published: market-based, per piece, AR6.

    pcfExcludingBiogenicUptake = market-based GWP100 + biogenic CO2 emission (PACT counts it;
    our GWP total characterises it 0); pcfIncluding subtracts the uptake (0 for this cell);
    primaryDataShare is the percentage of the market-based total from primary data (none here).
    """
    from sqlmodel import Session

    from app.boms.models import Bom
    from app.core.db import make_engine
    from app.footprints.models import Footprint

    us2 = host.footprints["us-v2"]["id"]
    engine = make_engine(host.database_url)
    with Session(engine) as session:
        stored = session.get(Footprint, uuid.UUID(us2))
        assert stored is not None
        bom = session.get(Bom, stored.bom_id)
        assert bom is not None
        market, biogenic = stored.kg_co2e_market_based, stored.result["biogenic_co2_emission_kg"]
        mass = bom.cell_mass_kg
    engine.dispose()
    document = pact.get(f"/3/footprints/{us2}").json()["data"]
    pcf = document["pcf"]
    assert document["status"] == "Active" and document["specVersion"] == "3.0.0"
    assert document["precedingPfIds"] == [host.footprints["us"]["id"]]
    assert document["productIds"] == [_product(host, "us")]
    assert pcf["declaredUnitOfMeasurement"] == "piece" and pcf["declaredUnitAmount"] == "1"
    assert pcf["ipccCharacterizationFactors"] == ["AR6"]
    assert pcf["geographyCountry"] == "US"
    assert float(pcf["productMassPerDeclaredUnit"]) == pytest.approx(mass)
    assert float(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(market + biogenic, abs=1e-6)
    assert float(pcf["pcfIncludingBiogenicUptake"]) == pytest.approx(market + biogenic, abs=1e-6)
    assert 0 < float(pcf["fossilGhgEmissions"]) <= float(pcf["pcfExcludingBiogenicUptake"])
    assert pcf["primaryDataShare"] == "0"
    assert pcf["dqi"] == {"technologicalDQR": "3", "geographicalDQR": "3", "temporalDQR": "3"}
    assert all(isinstance(v, str) for k, v in pcf.items() if k.startswith("pcf"))
    old = pact.get(f"/3/footprints/{host.footprints['us']['id']}").json()["data"]
    assert old["status"] == "Deprecated" and "precedingPfIds" not in old


def test_decimal_text_has_no_exponent() -> None:
    from app.pact.mapping import decimal_text

    assert decimal_text(1.5e-9) == "0"
    assert decimal_text(1.23456789e-4) == "0.000123"
    assert decimal_text(12345678.9) == "12345678.9"
    assert decimal_text(-0.0) == "0"
    assert decimal_text(17.0) == "17"


def test_per_kilowatt_hour_mapping(host: Instance) -> None:
    """Declared unit kWh: every value divided by the nominal energy (0.219 kWh for this cell)."""

    from sqlmodel import Session

    from app.access.models import Organisation
    from app.boms.models import Bom
    from app.core.db import make_engine
    from app.footprints.models import Footprint
    from app.pact.mapping import Published, product_footprint

    engine = make_engine(host.database_url)
    with Session(engine) as session:
        footprint = session.get(Footprint, uuid.UUID(host.footprints["us-v2"]["id"]))
        assert footprint is not None
        bom = session.get(Bom, footprint.bom_id)
        owner = session.get(Organisation, host.owner_id)
        assert bom is not None and owner is not None
        item = Published(footprint, bom, owner, (), False)
        per_piece = product_footprint(item, domain="x.example", unit="piece")["pcf"]
        per_kwh = product_footprint(item, domain="x.example", unit="kilowatt hour")["pcf"]
    engine.dispose()
    assert per_kwh["declaredUnitOfMeasurement"] == "kilowatt hour"
    assert float(per_kwh["pcfExcludingBiogenicUptake"]) == pytest.approx(
        float(per_piece["pcfExcludingBiogenicUptake"]) / 0.219, rel=1e-5
    )
    assert float(per_kwh["productMassPerDeclaredUnit"]) == pytest.approx(0.77 / 0.219, rel=1e-5)


def test_serve_refuses_a_certificate_without_key(tls_pair: tuple[Path, Path]) -> None:
    import subprocess
    import sys

    from tests.pact.conftest import ROOT

    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--tls-cert", str(tls_pair[0])],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2 and b"go together" in result.stderr
