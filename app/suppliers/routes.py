from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlmodel import col

from app.access.deps import RepoDep
from app.core.deps import BackgroundDep, PageDep
from app.suppliers import service
from app.suppliers.models import EnergyReport, Supplier
from app.suppliers.schemas import (
    EnergyReportCreate,
    EnergyReportPublic,
    EnergyReportsPublic,
    PcfImport,
    PcfPublic,
    SiteCreate,
    SitePublic,
    SitesPublic,
    SupplierCreate,
    SupplierPublic,
    SuppliersPublic,
)

router = APIRouter(prefix="/v1", tags=["suppliers"])


@router.post("/suppliers", response_model=SupplierPublic, status_code=status.HTTP_201_CREATED)
def create_supplier(payload: SupplierCreate, repo: RepoDep, response: Response) -> SupplierPublic:
    """Register a supplier (name, country, LEI / DUNS / PACT company URN)."""
    supplier = service.create_supplier(repo, payload)
    response.headers["Location"] = f"/v1/suppliers/{supplier.id}"
    return service.supplier_public(supplier)


@router.get("/suppliers", response_model=SuppliersPublic)
def list_suppliers(repo: RepoDep, page: PageDep) -> SuppliersPublic:
    """The organisation's suppliers, a page at a time."""
    rows, total = repo.page(
        Supplier, limit=page.limit, offset=page.offset, order_by=col(Supplier.name)
    )
    return SuppliersPublic(
        data=[service.supplier_public(s) for s in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/suppliers/{supplier_id}", response_model=SupplierPublic)
def get_supplier(supplier_id: uuid.UUID, repo: RepoDep) -> SupplierPublic:
    """One supplier."""
    return service.supplier_public(repo.get(Supplier, supplier_id, "supplier"))


@router.post(
    "/suppliers/{supplier_id}/sites", response_model=SitePublic, status_code=status.HTTP_201_CREATED
)
def create_site(
    supplier_id: uuid.UUID, payload: SiteCreate, repo: RepoDep, background: BackgroundDep
) -> SitePublic:
    """Add a production site (location and grid region) to a supplier."""
    return service.site_public(service.create_site(repo, supplier_id, payload, background))


@router.get("/suppliers/{supplier_id}/sites", response_model=SitesPublic)
def list_sites(supplier_id: uuid.UUID, repo: RepoDep) -> SitesPublic:
    """A supplier's sites."""
    sites = service.supplier_sites(repo, supplier_id)
    return SitesPublic(data=[service.site_public(s) for s in sites], count=len(sites))


@router.post(
    "/suppliers/{supplier_id}/energy-reports",
    response_model=EnergyReportPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_energy_report(
    supplier_id: uuid.UUID,
    payload: EnergyReportCreate,
    repo: RepoDep,
    background: BackgroundDep,
    response: Response,
) -> EnergyReportPublic:
    """Store a site's energy report for one product and period; derive its specific process."""
    report = service.create_energy_report(repo, supplier_id, payload, background)
    response.headers["Location"] = f"/v1/energy-reports/{report.id}"
    return service.energy_report_public(repo, report)


@router.get("/suppliers/{supplier_id}/energy-reports", response_model=EnergyReportsPublic)
def list_energy_reports(supplier_id: uuid.UUID, repo: RepoDep) -> EnergyReportsPublic:
    """A supplier's energy reports, every version, oldest first."""
    reports = service.supplier_reports(repo, supplier_id)
    return EnergyReportsPublic(
        data=[service.energy_report_public(repo, r) for r in reports], count=len(reports)
    )


@router.get("/energy-reports/{report_id}", response_model=EnergyReportPublic)
def get_energy_report(report_id: uuid.UUID, repo: RepoDep) -> EnergyReportPublic:
    """One energy report with its location- and market-based process and allocation rules."""
    return service.energy_report_public(repo, repo.get(EnergyReport, report_id, "energy report"))


@router.post(
    "/suppliers/{supplier_id}/pcfs", response_model=PcfPublic, status_code=status.HTTP_201_CREATED
)
def import_pcf(
    supplier_id: uuid.UUID, payload: PcfImport, repo: RepoDep, background: BackgroundDep
) -> PcfPublic:
    """Import a supplier's PACT ProductFootprint for a catalogue material (aggregated data)."""
    return service.pcf_public(service.import_pcf(repo, supplier_id, payload, background))
