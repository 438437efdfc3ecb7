"""The carbon-footprint section of a battery passport, from a carbon-footprint declaration.

Regulation (EU) 2023/1542 Art. 77 and Annex XIII point 1(c) put the carbon-footprint information
of Art. 7(1) and (2) in the battery passport: the footprint per kWh of the functional unit, the
footprint per life-cycle stage (Annex II point 4: raw material acquisition and pre-processing,
main product production, distribution, end of life and recycling), the performance class and a
web link to the public version of the study. DIN DKE SPEC 99100:2025-02 (Requirements for data
attributes of the battery passport) and the Battery Pass consortium's content guidance and data
model (v1.2.0, "CarbonFootprintForBatteries") name these attributes; this module emits them under
those names, in the structure of CellCarbon's own schema
(``data/passport/battery-passport-carbon-footprint.cellcarbon.schema.json``, see its README).

Pure: no web, SQL or settings imports. :func:`passport_carbon_footprint` refuses, with every
problem at once, a declaration that lacks a stage or whose stages do not add up to its total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from lca.errors import InputError, from_pairs, joined
from lca.footprint import STAGE_MATERIALS, STAGE_PRODUCTION
from lca.lifecycle import STAGE_DISTRIBUTION, STAGE_END_OF_LIFE

SCHEMA_ID: Final = "cellcarbon.battery-passport.carbon-footprint/1"
SCHEMA_FILE: Final = "passport/battery-passport-carbon-footprint.cellcarbon.schema.json"
# Our stage codes → the life-cycle stage values of the Battery Pass data model, in Annex II order.
PASSPORT_STAGES: Final[dict[str, str]] = {
    STAGE_MATERIALS: "RawMaterialExtraction",
    STAGE_PRODUCTION: "MainProduction",
    STAGE_DISTRIBUTION: "Distribution",
    STAGE_END_OF_LIFE: "Recycling",
}
BATTERY_CATEGORIES: Final[tuple[str, ...]] = ("ev", "lmt", "industrial")
# Relative tolerance for the stages adding up to the declared total (declarations are stored as
# floats; a larger gap means the figures do not belong together).
SUM_TOLERANCE: Final = 1e-6

Problem = tuple[tuple[str | int, ...], str]


class PassportError(InputError):
    """The declaration cannot be exported; ``problems`` are (field path, reason), all at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems  # (field path, reason) pairs, as before
        field_problems = from_pairs(problems)
        super().__init__(joined(field_problems), field_problems)


@dataclass(frozen=True)
class StageFootprint:
    stage: str  # one of PASSPORT_STAGES' keys
    kg_co2e_per_kwh: float  # per kWh of the functional unit
    assessed: bool = True


@dataclass(frozen=True)
class PassportInput:
    """What the passport's carbon-footprint section needs from a declaration."""

    battery_identifier: str  # unique identifier of the battery (or battery model)
    battery_model: str
    manufacturer_identification: str
    manufacturing_place: str
    carbon_footprint_kg_co2e_per_kwh: float
    stages: tuple[StageFootprint, ...]
    total_energy_kwh: float  # functional unit: energy provided over the service life
    public_study: str  # web link to the public version of the carbon-footprint study
    electricity_ruleset: str  # code/version of the electricity ruleset the figure uses
    electricity_ruleset_status: str = ""
    battery_category: str = "ev"
    performance_class: str | None = None  # none is defined until a delegated act sets classes
    battery_passport_identifier: str | None = None
    declaration_of_conformity_id: str | None = None
    method: str = "IPCC AR6 GWP100"


def passport_input_from_declaration(
    declaration: Mapping[str, Any],
    *,
    battery_identifier: str,
    manufacturer_identification: str | None = None,
    electricity_ruleset: str | None = None,
    electricity_ruleset_status: str = "",
    battery_category: str = "ev",
) -> PassportInput:
    """A :class:`PassportInput` from a declaration body (``cellcarbon.eu-battery-cf-declaration``
    as JSON: manufacturer, battery_model, plant_location, carbon_footprint_kg_co2e_per_kwh,
    stages, functional_unit.total_energy_kwh, performance_class, public_study, identifiers)."""
    identifiers = declaration.get("identifiers") or {}
    return PassportInput(
        battery_identifier=battery_identifier,
        battery_model=str(declaration["battery_model"]),
        manufacturer_identification=manufacturer_identification or str(declaration["manufacturer"]),
        manufacturing_place=str(declaration["plant_location"]),
        carbon_footprint_kg_co2e_per_kwh=float(declaration["carbon_footprint_kg_co2e_per_kwh"]),
        stages=tuple(
            StageFootprint(str(s["stage"]), float(s["kg_co2e_per_kwh"]), bool(s["assessed"]))
            for s in declaration["stages"]
        ),
        total_energy_kwh=float(declaration["functional_unit"]["total_energy_kwh"]),
        public_study=str(declaration["public_study"]),
        electricity_ruleset=electricity_ruleset
        or str(
            declaration.get("electricity_ruleset") or identifiers.get("electricity_ruleset", "")
        ),
        electricity_ruleset_status=electricity_ruleset_status,
        battery_category=battery_category,
        performance_class=declaration.get("performance_class"),
        declaration_of_conformity_id=identifiers.get("eu_declaration_of_conformity"),
    )


def _problems(data: PassportInput) -> list[Problem]:
    problems: list[Problem] = []
    for name in (
        "battery_identifier",
        "battery_model",
        "manufacturer_identification",
        "manufacturing_place",
        "electricity_ruleset",
    ):
        if not str(getattr(data, name)).strip():
            problems.append(((name,), "required"))
    if data.battery_category not in BATTERY_CATEGORIES:
        problems.append((("battery_category",), f"not one of {', '.join(BATTERY_CATEGORIES)}"))
    if not data.public_study.startswith(("https://", "http://")):
        problems.append(
            (("public_study",), "the passport needs a web link (http or https) to the public study")
        )
    if not (math.isfinite(data.total_energy_kwh) and data.total_energy_kwh > 0):
        problems.append((("total_energy_kwh",), "must be a finite number of kWh above zero"))
    total = data.carbon_footprint_kg_co2e_per_kwh
    if not (math.isfinite(total) and total > 0):
        problems.append((("carbon_footprint_kg_co2e_per_kwh",), "must be finite and above zero"))
    seen = [s.stage for s in data.stages]
    for index, stage in enumerate(data.stages):
        if stage.stage not in PASSPORT_STAGES:
            problems.append((("stages", index, "stage"), f"unknown stage '{stage.stage}'"))
        elif not stage.assessed:
            problems.append(
                (
                    ("stages", index, "assessed"),
                    f"{stage.stage} was not assessed; the declaration needs all four life-cycle "
                    "stages (Regulation (EU) 2023/1542 Art. 7(1)(e), Annex II point 4)",
                )
            )
        if not math.isfinite(stage.kg_co2e_per_kwh):
            problems.append((("stages", index, "kg_co2e_per_kwh"), "must be finite"))
    for stage_code in PASSPORT_STAGES:
        if seen.count(stage_code) != 1:
            what = "missing" if stage_code not in seen else "given more than once"
            problems.append((("stages",), f"stage {stage_code} is {what}"))
    if not problems:
        summed = math.fsum(s.kg_co2e_per_kwh for s in data.stages)
        if not math.isclose(summed, total, rel_tol=SUM_TOLERANCE):
            problems.append(
                (
                    ("stages",),
                    f"the stages add up to {summed:.6g} kg CO2e/kWh but the total is {total:.6g}",
                )
            )
    return problems


def passport_carbon_footprint(data: PassportInput) -> dict[str, Any]:
    """The carbon-footprint section as JSON-ready data (see the module docstring)."""
    problems = _problems(data)
    if problems:
        raise PassportError(problems)
    total = data.carbon_footprint_kg_co2e_per_kwh
    by_stage = {s.stage: s.kg_co2e_per_kwh for s in data.stages}
    stages = [
        {
            "lifecycleStage": passport_stage,
            "carbonFootprint": by_stage[stage],
            "share": by_stage[stage] / total,
        }
        for stage, passport_stage in PASSPORT_STAGES.items()
    ]
    notes: list[str] = []
    if data.performance_class is None:
        notes.append(
            "carbonFootprintPerformanceClass is empty: the classes of Regulation (EU) 2023/1542 "
            "Art. 7(2) are not yet set by a delegated act"
        )
    if data.electricity_ruleset_status and data.electricity_ruleset_status != "final":
        notes.append(
            f"electricity modelled under {data.electricity_ruleset}, which is a "
            f"{data.electricity_ruleset_status}"
        )
    return {
        "schema": SCHEMA_ID,
        "identification": {
            "batteryPassportIdentifier": data.battery_passport_identifier,
            "batteryIdentifier": data.battery_identifier,
            "batteryModel": data.battery_model,
            "manufacturerIdentification": data.manufacturer_identification,
            "manufacturingPlace": data.manufacturing_place,
            "batteryCategory": data.battery_category,
        },
        "carbonFootprint": {
            "batteryCarbonFootprint": total,
            "batteryCarbonFootprintUnit": "kg CO2e/kWh",
            "carbonFootprintPerLifecycleStage": stages,
            "absoluteCarbonFootprint": total * data.total_energy_kwh,
            "absoluteCarbonFootprintUnit": "kg CO2e",
            "carbonFootprintPerformanceClass": data.performance_class,
            "carbonFootprintStudy": data.public_study,
        },
        "methodology": {
            "legalBasis": "Regulation (EU) 2023/1542, Art. 7 and Annex II",
            "functionalUnitEnergyKwh": data.total_energy_kwh,
            "characterisation": data.method,
            "electricityRuleset": data.electricity_ruleset,
            "euDeclarationOfConformity": data.declaration_of_conformity_id,
        },
        "notes": notes,
    }
