"""A PACT v3 client: token (discovery first), ListFootprints with Link pagination,
GetFootprint; and the import of a pulled footprint as a supplier's PCF."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.observability import request_id_header
from app.core.repository import OrgRepository
from app.suppliers.models import SupplierPcf
from app.suppliers.schemas import PcfImport
from app.suppliers.service import import_pcf
from lca.background import Background

# A host that keeps sending "next" links is broken; stop rather than loop for ever.
MAX_PAGES = 1000


class PactClientError(Exception):
    """The remote PACT host refused a request or answered something unusable."""


@dataclass(frozen=True)
class PactHost:
    base_url: str  # e.g. https://supplier.example.com (no trailing slash)
    client_id: str
    client_secret: str
    verify: ssl.SSLContext | bool = True  # see trust(); True: the system store
    timeout_s: float = 5.0


class PactConnection:
    """An authenticated session with one PACT host."""

    def __init__(self, host: PactHost) -> None:
        self.host = host
        self.base = host.base_url.rstrip("/")
        if urlsplit(self.base).scheme != "https":
            raise PactClientError(f"PACT hosts are HTTPS only, not '{self.base}'")
        self.http = httpx.Client(verify=host.verify, timeout=host.timeout_s)
        self.token = self._token()

    def __enter__(self) -> PactConnection:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def _token_endpoint(self) -> str:
        try:
            response = self.http.get(f"{self.base}/.well-known/openid-configuration")
            if response.is_success:
                endpoint = response.json().get("token_endpoint")
                if isinstance(endpoint, str) and self._same_origin(endpoint):
                    return endpoint
        except (httpx.HTTPError, ValueError):
            pass  # discovery is optional in PACT v3: fall back to the fixed path
        return f"{self.base}/auth/token"

    def _token(self) -> str:
        response = self._call(
            "POST",
            self._token_endpoint(),
            auth=(self.host.client_id, self.host.client_secret),
            data={"grant_type": "client_credentials"},
        )
        token = response.json().get("access_token")
        if not isinstance(token, str):
            raise PactClientError("the token response has no access_token")
        return token

    def _same_origin(self, url: str) -> bool:
        ours, theirs = urlsplit(self.base), urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            headers = {**request_id_header(), **kwargs.pop("headers", {})}
            response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise PactClientError(f"{method} {url}: {exc.__class__.__name__}: {exc}") from None
        if not response.is_success:
            raise PactClientError(
                f"{method} {url}: HTTP {response.status_code} {response.text[:300]}"
            )
        return response

    def _get(self, url: str, params: Any = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"}
        return self._call("GET", url, params=params, headers=headers)

    def footprints(self, **filters: list[str] | str | int) -> Iterator[dict[str, Any]]:
        """Every footprint matching ``filters`` (PACT parameter names), page after page."""
        url: str | None = f"{self.base}/3/footprints"
        params: Any = filters
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._get(url, params)
            data = response.json().get("data")
            if not isinstance(data, list):
                raise PactClientError("ListFootprints answered without a 'data' array")
            yield from data
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries the query
            if url is not None and not self._same_origin(url):
                raise PactClientError(f"refusing a next link to another host: {url}")
        raise PactClientError(f"more than {MAX_PAGES} pages")

    def footprint(self, footprint_id: str | uuid.UUID) -> dict[str, Any]:
        data = self._get(f"{self.base}/3/footprints/{footprint_id}").json().get("data")
        if not isinstance(data, dict):
            raise PactClientError("GetFootprint answered without a 'data' object")
        return data


def import_footprint(
    repo: OrgRepository,
    supplier_id: uuid.UUID,
    material: str,
    footprint: dict[str, Any],
    background: Background,
) -> SupplierPcf:
    """Store a pulled ProductFootprint as the supplier's PCF for ``material``."""
    return import_pcf(
        repo, supplier_id, PcfImport(material=material, footprint=footprint), background
    )


def trust(ca_bundle: str | None) -> ssl.SSLContext:
    """Verification for outgoing PACT calls: the given CA bundle, else the system store."""
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return ssl.create_default_context()
