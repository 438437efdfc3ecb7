"""A toy background small enough to work out by hand (see the known-answer tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

REAL_DATA = Path(__file__).resolve().parent.parent / "data"

ACTIVITIES = """code,name,reference_product,unit,location,category,source
electricity_grid_xx,electricity grid XX,electricity,kWh,XX,electricity,toy
heat_natural_gas,heat from natural gas,heat,MJ,GLO,heat,toy
steel,steel,steel,kg,GLO,material,toy
solvent,solvent,solvent,kg,GLO,material,toy
electricity_wind,electricity from wind,electricity,kWh,GLO,electricity,toy
natural_gas_burned_industrial,natural gas burned,natural gas,MJ,GLO,fuel,toy
nickel_sulfate,nickel sulfate,nickel sulfate,kg,GLO,material,toy
"""

EXCHANGES = """activity,type,input,amount,unit,gsd,source
electricity_grid_xx,biosphere,co2_fossil,0.5,kg,1.1,toy
electricity_grid_xx,biosphere,ch4_fossil,1,g,,toy
heat_natural_gas,biosphere,co2_fossil,56,g,,toy
steel,technosphere,electricity_grid_xx,2,kWh,1.2,toy
steel,technosphere,heat_natural_gas,0.01,GJ,,toy
steel,biosphere,co2_fossil,1,kg,,toy
solvent,technosphere,heat_natural_gas,5,MJ,,toy
solvent,biosphere,co2_biogenic,0.3,kg,,toy
electricity_wind,biosphere,co2_fossil,11,g,,toy
natural_gas_burned_industrial,biosphere,co2_fossil,56.1,g,,toy
nickel_sulfate,technosphere,steel,0.1,kg,,toy
nickel_sulfate,technosphere,electricity_grid_xx,1.5,kWh,,toy
nickel_sulfate,technosphere,heat_natural_gas,4,MJ,,toy
nickel_sulfate,biosphere,co2_fossil,0.2,kg,,toy
"""

METHOD = """flow,gwp100,gwp20,source
co2_fossil,1,1,toy
ch4_fossil,29.8,82.5,toy
co2_biogenic,0,0,toy
sf6,25200,18300,toy
"""

REGIONS = """region,name,country,activity,residual_mix_kg_per_kwh,residual_mix_source
XX,Toy grid,XX,electricity_grid_xx,0.6,toy
YY,Toy grid without a residual mix,YY,electricity_grid_xx,,
"""

DENSITIES = """code,density,unit,source
solvent,1.25,kg/L,toy
"""


def write_toy_data(target: Path) -> Path:
    """Write the toy background into ``target`` (a data/ folder) and return it."""
    (target / "background" / "activities").mkdir(parents=True)
    (target / "background" / "exchanges").mkdir(parents=True)
    (target / "method").mkdir()
    (target / "grid").mkdir()
    (target / "background" / "activities" / "toy.csv").write_text(ACTIVITIES)
    (target / "background" / "exchanges" / "toy.csv").write_text(EXCHANGES)
    (target / "background" / "densities.csv").write_text(DENSITIES)
    shutil.copy(REAL_DATA / "method" / "flows.csv", target / "method" / "flows.csv")
    (target / "method" / "ipcc_ar6.csv").write_text(METHOD)
    (target / "grid" / "regions.csv").write_text(REGIONS)
    return target
