"""What an electricity ruleset is given and what it returns (frozen data, no behaviour).

One :class:`ConsumptionRecord` is the electricity of one plant or supplier site for one period:
the kWh consumed (grid purchases plus on-site and direct-line supply), where, when, the hours if
metered, the instruments claimed for it and the grid factors of its region. A ruleset turns it
into a :class:`RulesetResult`: kg CO2e and, for every kWh, the factor it got and why, with every
instrument accepted or rejected and the reasons.

Units are in the names: ``kwh`` is kWh, ``kg_co2e_per_kwh`` kg CO2e per kWh. Hours are whole
hours since the Unix epoch (UTC), as in :mod:`lca.plant`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from lca.errors import InputError, LcaError, from_pairs, joined

# On-site generation behind the plant's meter, and a private line from a generator that does not
# pass through the public grid: both are physical supply.
PHYSICAL_KINDS: Final[tuple[str, ...]] = ("onsite", "direct_line")
# Grid-delivered contractual instruments: a power purchase agreement (with its certificates), a
# supplier's green tariff, an unbundled certificate (GO, REC, I-REC), and a supplier-specific
# (utility) mix with its disclosed emission rate.
CONTRACTUAL_KINDS: Final[tuple[str, ...]] = (
    "ppa",
    "green_tariff",
    "unbundled_certificate",
    "supplier_mix",
)
INSTRUMENT_KINDS: Final[tuple[str, ...]] = PHYSICAL_KINDS + CONTRACTUAL_KINDS
# What happened to the energy attribute certificates of the claimed MWh:
# cancelled (retired/redeemed) for this consumer; issued but not cancelled; sold to someone else;
# none issued (common for small on-site plants and direct lines).
CERTIFICATE_STATUSES: Final[tuple[str, ...]] = ("cancelled", "not_cancelled", "sold", "none_issued")
# Fallback factors a ruleset may name, in GridFactors.
FALLBACK_FACTORS: Final[tuple[str, ...]] = (
    "grid_average",
    "residual_mix",
    "national_consumption_mix",
    "fossil_fallback",
)

Location = tuple[str | int, ...]
Problem = tuple[Location, str]


class RulesetInputError(InputError):
    """A record cannot be evaluated; ``problems`` are (field path, reason), all at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems  # (field path, reason) pairs, as before
        field_problems = from_pairs(problems)
        super().__init__(joined(field_problems), field_problems)


class UnknownRuleset(LcaError, KeyError):
    """No ruleset of that id is defined in data/rulesets/rulesets.json."""


@dataclass(frozen=True)
class ClaimedInstrument:
    """Electricity claimed for the record: physical supply or a contractual instrument.

    ``kwh`` is the volume claimed for this record's period (for physical supply: what the plant
    consumed of it). ``kg_co2e_per_kwh`` is the emission rate the claim conveys: the generation
    technology's life-cycle factor, or the supplier's disclosed rate for a ``supplier_mix``.
    ``hourly_kwh`` is the generation (or delivery) per hour, for hourly matching.
    """

    name: str
    kind: str
    kwh: float
    kg_co2e_per_kwh: float
    technology: str = ""
    country: str = ""  # ISO country the generation (or certificate issue) is in
    bidding_zone: str = ""  # electricity market bidding zone of the generator, if known
    vintage_year: int | None = None
    certificate_status: str = "none_issued"
    certificate_type: str = ""  # GO, REC, I-REC, …
    certificate_ids: tuple[str, ...] = ()
    hourly_kwh: Mapping[int, float] | None = None


@dataclass(frozen=True)
class GridFactors:
    """The region's factors, kg CO2e per kWh; None where none is published or given."""

    grid_average_kg_per_kwh: float
    residual_mix_kg_per_kwh: float | None = None
    national_consumption_mix_kg_per_kwh: float | None = None
    fossil_fallback_kg_per_kwh: float | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # factor name → source text

    def factor(self, name: str) -> float | None:
        return {
            "grid_average": self.grid_average_kg_per_kwh,
            "residual_mix": self.residual_mix_kg_per_kwh,
            "national_consumption_mix": self.national_consumption_mix_kg_per_kwh,
            "fossil_fallback": self.fossil_fallback_kg_per_kwh,
        }[name]


@dataclass(frozen=True)
class ConsumptionRecord:
    """One consumer's electricity for one period, with its claims and its region's factors."""

    kwh: float
    grid_region: str
    country: str
    period_start: date
    period_end: date
    factors: GridFactors
    bidding_zone: str = ""  # empty: the grid region stands for it
    instruments: tuple[ClaimedInstrument, ...] = ()
    hourly_kwh: Mapping[int, float] | None = None  # consumption per hour, if metered

    @property
    def zone(self) -> str:
        return self.bidding_zone or self.grid_region


@dataclass(frozen=True)
class Allocation:
    """kWh priced at one factor, and why that factor applies to them."""

    kwh: float
    kg_co2e_per_kwh: float
    kg_co2e: float
    basis: str  # "instrument" or a fallback factor name
    source: str  # the instrument's name, or the factor's
    why: str


@dataclass(frozen=True)
class InstrumentDecision:
    """Whether a ruleset accepted a claimed instrument, how much of it it used, and why."""

    index: int
    name: str
    kind: str
    accepted: bool
    kwh_claimed: float
    kwh_used: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RulesetResult:
    """One ruleset's figure for one record; ``applicable`` False when it cannot be applied."""

    ruleset: str
    version: str
    name: str
    status: str
    applicable: bool
    kwh: float
    kg_co2e: float | None
    allocations: tuple[Allocation, ...]
    instruments: tuple[InstrumentDecision, ...]
    notes: tuple[str, ...]

    @property
    def kg_co2e_per_kwh(self) -> float | None:
        if self.kg_co2e is None or self.kwh <= 0:
            return None
        return self.kg_co2e / self.kwh

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, for storing with a footprint."""
        return {
            "ruleset": self.ruleset,
            "version": self.version,
            "name": self.name,
            "status": self.status,
            "applicable": self.applicable,
            "kwh": self.kwh,
            "kg_co2e": self.kg_co2e,
            "kg_co2e_per_kwh": self.kg_co2e_per_kwh,
            "allocations": [vars(a) for a in self.allocations],
            "instruments": [{**vars(d), "reasons": list(d.reasons)} for d in self.instruments],
            "notes": list(self.notes),
        }


def _finite_non_negative(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


def _profile_problems(
    profile: Mapping[int, float], where: Location, total_kwh: float
) -> list[Problem]:
    problems: list[Problem] = []
    bad = [hour for hour, kwh in profile.items() if not _finite_non_negative(kwh)]
    if bad:
        problems.append(
            ((*where,), f"{len(bad)} hour(s) have a negative or non-finite kWh, first at {bad[0]}")
        )
        return problems
    summed = math.fsum(profile.values())
    if not math.isclose(summed, total_kwh, rel_tol=1e-6, abs_tol=1e-6):
        problems.append(
            ((*where,), f"the hours add up to {summed:g} kWh but the total is {total_kwh:g} kWh")
        )
    return problems


def record_problems(record: ConsumptionRecord) -> list[Problem]:
    """Every problem of ``record`` (empty when it can be evaluated)."""
    problems: list[Problem] = []
    if not _finite_non_negative(record.kwh):
        problems.append((("kwh",), "consumption must be a finite number of kWh, zero or more"))
    if record.period_end < record.period_start:
        problems.append((("period_end",), "the period ends before it starts"))
    if not record.country:
        problems.append((("country",), "the consumer's country is required"))
    for name in FALLBACK_FACTORS:
        value = record.factors.factor(name)
        if value is None:
            if name == "grid_average":
                problems.append((("factors", name), "the grid average is required"))
        elif not _finite_non_negative(value):
            problems.append((("factors", name), "must be a finite kg CO2e/kWh, zero or more"))
    if record.hourly_kwh is not None and _finite_non_negative(record.kwh):
        problems += _profile_problems(record.hourly_kwh, ("hourly_kwh",), record.kwh)
    physical_kwh = 0.0
    for index, instrument in enumerate(record.instruments):
        where: Location = ("instruments", index)
        if instrument.kind not in INSTRUMENT_KINDS:
            problems.append(
                ((*where, "kind"), f"unknown kind '{instrument.kind}'; known: {INSTRUMENT_KINDS}")
            )
        if not _finite_non_negative(instrument.kwh):
            problems.append(((*where, "kwh"), "must be a finite number of kWh, zero or more"))
        elif instrument.kind in PHYSICAL_KINDS:
            physical_kwh += instrument.kwh
        if not _finite_non_negative(instrument.kg_co2e_per_kwh):
            problems.append(
                ((*where, "kg_co2e_per_kwh"), "must be a finite kg CO2e/kWh, zero or more")
            )
        if instrument.certificate_status not in CERTIFICATE_STATUSES:
            problems.append(
                (
                    (*where, "certificate_status"),
                    f"unknown status '{instrument.certificate_status}'; "
                    f"known: {CERTIFICATE_STATUSES}",
                )
            )
        if instrument.hourly_kwh is not None and _finite_non_negative(instrument.kwh):
            problems += _profile_problems(
                instrument.hourly_kwh, (*where, "hourly_kwh"), instrument.kwh
            )
    if _finite_non_negative(record.kwh) and physical_kwh > record.kwh * (1 + 1e-9) + 1e-9:
        problems.append(
            (
                ("instruments",),
                f"on-site and direct-line supply of {physical_kwh:g} kWh exceeds the "
                f"{record.kwh:g} kWh consumed",
            )
        )
    return problems
