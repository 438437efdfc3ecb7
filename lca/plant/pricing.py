"""Factors for the plant core from a background version, priced as lca.supplier prices them.

The annual location factor of a region is the background's grid activity for it (the one of
data/grid/regions.csv); the residual mix comes from the same row; fuels and purchased steam are
priced by the combustion activities lca.supplier uses, and an instrument's technology by its
life-cycle activity.
"""

from __future__ import annotations

from collections.abc import Sequence

from lca.background import Background
from lca.plant.factors import GridInputs, HourlyFactors, HourlyInstrument
from lca.plant.model import PlantDataError
from lca.supplier import FUEL_PRODUCTS, STEAM_PRODUCT, TECHNOLOGY_PRODUCTS


def grid_inputs(
    background: Background,
    region: str,
    *,
    hourly: HourlyFactors | None = None,
    instruments: Sequence[HourlyInstrument] = (),
) -> GridInputs:
    """The region's annual factors as the fallback of ``hourly``, with ``instruments``."""
    info = background.grid_regions.get(region)
    if info is None:
        known = ", ".join(sorted(background.grid_regions))
        raise PlantDataError(
            [(("grid_region",), f"unknown grid region '{region}'; known: {known}")]
        )
    return GridInputs(
        region=info.region,
        country=info.country,
        annual_location_kg_per_kwh=background.unit_score(info.activity),
        residual_mix_kg_per_kwh=info.residual_mix_kg_per_kwh,
        hourly=hourly,
        instruments=tuple(instruments),
    )


def carrier_factors(background: Background) -> dict[str, float]:
    """kg CO2e per MJ of every fuel and of steam the background can price."""
    factors = {
        fuel: background.unit_score(product)
        for fuel, product in FUEL_PRODUCTS.items()
        if product in background.products
    }
    if STEAM_PRODUCT in background.products:
        factors["steam"] = background.unit_score(STEAM_PRODUCT)
    return factors


def technology_factor(background: Background, technology: str) -> float:
    """Life-cycle kg CO2e per kWh of a generation technology (for on-site plants and PPAs)."""
    if technology not in TECHNOLOGY_PRODUCTS:
        raise PlantDataError(
            [
                (
                    ("technology",),
                    f"unknown technology '{technology}'; known: {sorted(TECHNOLOGY_PRODUCTS)}",
                )
            ]
        )
    return background.unit_score(TECHNOLOGY_PRODUCTS[technology])
