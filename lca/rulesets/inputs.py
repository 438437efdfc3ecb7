"""Consumption records from what CellCarbon already stores: a background and supplier reports.

* :func:`grid_factors` — a grid region's factors from a background version: the grid average is
  the region's grid activity (life-cycle CO2e), the residual mix its row of
  data/grid/regions.csv, the national consumption mix the grid activity of its country's row
  (for a sub-national region such as US-SRTV) or its own (for a national one).
* :func:`record_from_energy_report` — a supplier's energy report (:mod:`lca.supplier`) as a
  consumption record: grid purchases plus on-site generation consumed, its instruments, and its
  supplier-specific rate as a supplier mix over the grid kWh the instruments leave.

A plant's electricity per cell is priced by multiplying the kWh per cell by a ruleset's
``kg_co2e_per_kwh`` for the plant's record over a period: every ruleset is linear in the kWh.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from lca.background import Background
from lca.rulesets.model import ClaimedInstrument, ConsumptionRecord, GridFactors
from lca.supplier import TECHNOLOGY_PRODUCTS, EnergyReportData, validate


def grid_factors(background: Background, region: str) -> GridFactors:
    """The factors of ``region`` in ``background`` (KeyError for an unknown region)."""
    info = background.grid_regions[region]
    national = background.grid_regions.get(info.country)
    sources = {
        "grid_average": f"background {background.version[:12]} activity {info.activity}",
    }
    if info.residual_mix_kg_per_kwh is not None:
        sources["residual_mix"] = info.residual_mix_source
    if national is not None:
        sources["national_consumption_mix"] = (
            f"background {background.version[:12]} activity {national.activity} "
            "(generation mix with T&D losses, standing in for the consumption mix)"
        )
    return GridFactors(
        grid_average_kg_per_kwh=background.unit_score(info.activity),
        residual_mix_kg_per_kwh=info.residual_mix_kg_per_kwh,
        national_consumption_mix_kg_per_kwh=(
            background.unit_score(national.activity) if national is not None else None
        ),
        sources=sources,
    )


def technology_rates(background: Background) -> dict[str, float]:
    """Life-cycle kg CO2e per kWh of each generation technology the background prices."""
    return {
        technology: background.unit_score(product)
        for technology, product in TECHNOLOGY_PRODUCTS.items()
        if product in background.products
    }


def plant_record(
    background: Background,
    region: str,
    kwh: float,
    period_start: date,
    period_end: date,
    *,
    bidding_zone: str = "",
    instruments: tuple[ClaimedInstrument, ...] = (),
    hourly_kwh: Mapping[int, float] | None = None,
) -> ConsumptionRecord:
    """A plant's electricity for a period, with the factors of its grid region."""
    return ConsumptionRecord(
        kwh=kwh,
        grid_region=region,
        country=background.grid_regions[region].country,
        bidding_zone=bidding_zone,
        period_start=period_start,
        period_end=period_end,
        factors=grid_factors(background, region),
        instruments=instruments,
        hourly_kwh=hourly_kwh,
    )


def record_from_energy_report(
    report: EnergyReportData, background: Background
) -> ConsumptionRecord:
    """``report`` as a consumption record (its totals for the period, not per kg of product).

    A report's instrument names the market it was issued in (a grid region or a country). The
    report lists the ids of the certificates cancelled for it; an instrument without ids has no
    recorded cancellation, and rulesets that require one reject it and say so. Raises
    :class:`~lca.supplier.SupplierDataError` for a report the background cannot price.
    """
    validate(report, background)
    region = background.grid_regions[report.grid_region]
    rates = technology_rates(background)
    instruments: list[ClaimedInstrument] = []
    for technology, kwh in sorted(report.onsite_kwh.items()):
        instruments.append(
            ClaimedInstrument(
                name=f"on-site {technology}",
                kind="onsite",
                kwh=kwh,
                kg_co2e_per_kwh=rates[technology],
                technology=technology,
                country=region.country,
                bidding_zone=region.region,
            )
        )
    for index, instrument in enumerate(report.instruments):
        issued_in = background.grid_regions.get(instrument.market)
        instruments.append(
            ClaimedInstrument(
                name=f"{instrument.kind} {index + 1}: {instrument.technology}",
                kind=instrument.kind,
                kwh=instrument.kwh,
                kg_co2e_per_kwh=rates[instrument.technology],
                technology=instrument.technology,
                country=issued_in.country if issued_in is not None else instrument.market,
                bidding_zone=instrument.market if issued_in is not None else "",
                vintage_year=instrument.vintage_year,
                certificate_status="cancelled" if instrument.certificate_ids else "not_cancelled",
                certificate_type=instrument.certificate_type or "",
                certificate_ids=instrument.certificate_ids,
            )
        )
    if report.supplier_specific_kg_per_kwh is not None:
        covered = sum(i.kwh for i in report.instruments)
        instruments.append(
            ClaimedInstrument(
                name="supplier-specific rate",
                kind="supplier_mix",
                kwh=max(report.grid_kwh - covered, 0.0),
                kg_co2e_per_kwh=report.supplier_specific_kg_per_kwh,
                country=region.country,
                bidding_zone=region.region,
            )
        )
    return ConsumptionRecord(
        kwh=report.grid_kwh + sum(report.onsite_kwh.values()),
        grid_region=region.region,
        country=region.country,
        bidding_zone=region.region,
        period_start=report.period_start,
        period_end=report.period_end,
        factors=grid_factors(background, region.region),
        instruments=tuple(instruments),
    )
