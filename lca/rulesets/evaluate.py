"""One pure function turns a ruleset's parameters and a consumption record into a figure.

Order of claims (the hierarchy all the texts share): physical supply first (on-site generation,
direct line), then certificates, PPAs and green tariffs, then a supplier-specific mix; whatever
consumption is left takes the ruleset's first available fallback factor. Each claim is checked
against the ruleset's criteria and every failed criterion is given as a reason, citing the text.

Annual matching sets the period's accepted volumes against the period's consumption; hourly
matching sets each hour's generation against that hour's consumption only, and a surplus in an
hour is lost. No hourly residual mix is published anywhere, so the annual one serves every hour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from lca.rulesets.catalogue import Ruleset
from lca.rulesets.model import (
    PHYSICAL_KINDS,
    Allocation,
    ClaimedInstrument,
    ConsumptionRecord,
    InstrumentDecision,
    RulesetInputError,
    RulesetResult,
    record_problems,
)

KIND_LABELS = {
    "onsite": "on-site generation",
    "direct_line": "direct-line supply",
    "ppa": "a power purchase agreement",
    "green_tariff": "a green tariff",
    "unbundled_certificate": "an unbundled certificate",
    "supplier_mix": "a supplier-specific mix",
}
FACTOR_LABELS = {
    "grid_average": "grid average",
    "residual_mix": "residual mix",
    "national_consumption_mix": "national consumption mix",
    "fossil_fallback": "fossil-fuel fallback factor",
}


def evaluate(ruleset: Ruleset, record: ConsumptionRecord) -> RulesetResult:
    """``record`` under ``ruleset``; raises :class:`RulesetInputError` for a malformed record."""
    problems = record_problems(record)
    if problems:
        raise RulesetInputError(problems)
    return _evaluate(ruleset, record)


def evaluate_all(
    rulesets: Iterable[Ruleset], record: ConsumptionRecord
) -> tuple[RulesetResult, ...]:
    """``record`` under every ruleset (validated once); inapplicable ones say why."""
    problems = record_problems(record)
    if problems:
        raise RulesetInputError(problems)
    return tuple(_evaluate(ruleset, record) for ruleset in rulesets)


def _evaluate(ruleset: Ruleset, record: ConsumptionRecord) -> RulesetResult:
    if ruleset.temporal_matching == "hourly":
        if record.hourly_kwh is None:
            return _not_applicable(
                ruleset,
                record,
                "no hourly consumption is known for this record, so hourly "
                "matching cannot be applied",
            )
        return _match(ruleset, record, hourly=True)
    return _match(ruleset, record, hourly=False)


def _ordered(record: ConsumptionRecord) -> list[tuple[int, ClaimedInstrument]]:
    """Physical supply, then certificates/PPAs/green tariffs, then supplier mixes (stable)."""
    rank = {"onsite": 0, "direct_line": 0, "supplier_mix": 2}
    return sorted(enumerate(record.instruments), key=lambda item: rank.get(item[1].kind, 1))


def _match(ruleset: Ruleset, record: ConsumptionRecord, *, hourly: bool) -> RulesetResult:
    allocations: list[Allocation] = []
    decisions: list[InstrumentDecision] = []
    claimed_ids: set[str] = set()
    load = dict(record.hourly_kwh or {}) if hourly else {}
    physical_kwh = math.fsum(i.kwh for i in record.instruments if i.kind in PHYSICAL_KINDS)
    grid_left = max(record.kwh - physical_kwh, 0.0)  # annual: grid kWh not yet covered
    rejected_physical_kwh = 0.0
    for index, instrument in _ordered(record):
        physical = instrument.kind in PHYSICAL_KINDS
        reasons = _reasons(ruleset, record, instrument, claimed_ids, hourly=hourly)
        if reasons:
            decisions.append(
                InstrumentDecision(
                    index,
                    instrument.name,
                    instrument.kind,
                    False,
                    instrument.kwh,
                    0.0,
                    tuple(reasons),
                )
            )
            if physical:
                rejected_physical_kwh += instrument.kwh
            continue
        claimed_ids.update(instrument.certificate_ids)
        notes: list[str] = []
        if hourly:
            used = _take_hours(load, instrument)
            why = (
                f"{KIND_LABELS[instrument.kind]} matched hour by hour to the consumption of the "
                f"same hours, at the emission rate it conveys ({ruleset.cite('method')})"
            )
            lost = instrument.kwh - used
            if lost > 1e-9:
                notes.append(
                    f"{lost:g} kWh fell in hours without consumption left to cover and are not "
                    "counted (an hour's surplus is lost)"
                )
        elif physical:
            used = instrument.kwh
            why = (
                f"{KIND_LABELS[instrument.kind]} consumed at the plant, at its generator's "
                f"emission rate ({ruleset.cite('physical')})"
            )
        else:
            used = min(instrument.kwh, grid_left)
            grid_left -= used
            why = (
                f"grid consumption covered by {KIND_LABELS[instrument.kind]} that meets the "
                f"criteria, at the emission rate it conveys ({ruleset.cite('quality_criteria')})"
            )
            if instrument.kwh - used > 1e-9:
                notes.append(
                    f"{instrument.kwh - used:g} kWh exceed the grid consumption left to cover "
                    "and are not counted"
                )
        if used > 0:
            allocations.append(
                Allocation(
                    used,
                    instrument.kg_co2e_per_kwh,
                    used * instrument.kg_co2e_per_kwh,
                    "instrument",
                    instrument.name,
                    why,
                )
            )
        decisions.append(
            InstrumentDecision(
                index, instrument.name, instrument.kind, True, instrument.kwh, used, tuple(notes)
            )
        )
    remaining = math.fsum(load.values()) if hourly else grid_left + rejected_physical_kwh
    notes = []
    if remaining > 1e-9:
        fallback = _fallback(ruleset, record, remaining)
        if fallback is None:
            missing = " or ".join(FACTOR_LABELS[f] for f in ruleset.fallback)
            return _not_applicable(
                ruleset,
                record,
                f"{remaining:g} kWh are not covered by an accepted instrument and no {missing} is "
                f"available for {record.grid_region} ({ruleset.cite('no_residual_mix')})",
                tuple(sorted(decisions, key=lambda d: d.index)),
            )
        allocations.append(fallback)
    if ruleset.status != "final":
        notes.append(f"{ruleset.name} is a {ruleset.status}, not an adopted text")
    return RulesetResult(
        ruleset=ruleset.code,
        version=ruleset.version,
        name=ruleset.name,
        status=ruleset.status,
        applicable=True,
        kwh=record.kwh,
        kg_co2e=math.fsum(a.kg_co2e for a in allocations),
        allocations=tuple(allocations),
        instruments=tuple(sorted(decisions, key=lambda d: d.index)),
        notes=tuple(notes),
    )


def _take_hours(load: dict[int, float], instrument: ClaimedInstrument) -> float:
    """Cover each hour's remaining consumption with the instrument's kWh of that hour."""
    used = 0.0
    for hour, kwh in (instrument.hourly_kwh or {}).items():
        need = load.get(hour, 0.0)
        take = min(need, kwh)
        if take > 0:
            load[hour] = need - take
            used += take
    return used


def _reasons(
    ruleset: Ruleset,
    record: ConsumptionRecord,
    instrument: ClaimedInstrument,
    claimed_ids: set[str],
    *,
    hourly: bool,
) -> list[str]:
    """Why ``ruleset`` rejects ``instrument`` (empty: accepted)."""
    kind = instrument.kind
    if kind in PHYSICAL_KINDS:
        if kind not in ruleset.physical_kinds:
            return [f"{KIND_LABELS[kind]} is not counted ({ruleset.cite('physical')})"]
        reasons = []
        if ruleset.physical_requires_certificates_kept and instrument.certificate_status in (
            "sold",
            "not_cancelled",
        ):
            verb = (
                "sold to another party"
                if instrument.certificate_status == "sold"
                else "not cancelled for the plant"
            )
            reasons.append(
                f"certificates issued for this generation were {verb}, so its attributes may be "
                f"claimed elsewhere: the kWh count as grid consumption ({ruleset.cite('physical')})"
            )
    else:
        if kind not in ruleset.contractual_kinds:
            return [f"{KIND_LABELS[kind]} is not counted ({ruleset.cite('contractual')})"]
        reasons = _market_reasons(ruleset, record, instrument)
        if kind != "supplier_mix":
            reasons += _certificate_reasons(ruleset, instrument)
            if not hourly:
                reasons += _vintage_reasons(ruleset, record, instrument)
    if hourly and instrument.hourly_kwh is None:
        reasons.append(
            "no hourly generation profile is given, so it cannot be matched hour by hour"
        )
    twice = sorted(set(instrument.certificate_ids) & claimed_ids)
    if twice:
        reasons.append(
            f"certificate(s) {', '.join(twice[:3])}{' …' if len(twice) > 3 else ''} are already "
            "claimed by another instrument of this record (double counting)"
        )
    return reasons


def _certificate_reasons(ruleset: Ruleset, instrument: ClaimedInstrument) -> list[str]:
    if not ruleset.requires_cancellation or instrument.certificate_status == "cancelled":
        return []
    what = {
        "not_cancelled": "its certificates were not cancelled (retired) for this consumer",
        "sold": "its certificates were sold to another party",
        "none_issued": "no certificate was issued and cancelled for it",
    }[instrument.certificate_status]
    return [
        f"{what}, so the claim is not tracked as this consumer's alone "
        f"({ruleset.cite('quality_criteria')})"
    ]


def _market_reasons(
    ruleset: Ruleset, record: ConsumptionRecord, instrument: ClaimedInstrument
) -> list[str]:
    if ruleset.market_boundary == "bidding_zone":
        if not instrument.bidding_zone:
            return [
                "the generator's bidding zone is not stated, so deliverability to the plant "
                f"cannot be shown ({ruleset.cite('deliverability')})"
            ]
        if instrument.bidding_zone != record.zone:
            return [
                f"generated in bidding zone {instrument.bidding_zone}; the plant is in "
                f"{record.zone}, so the electricity is not deliverable to it "
                f"({ruleset.cite('deliverability')})"
            ]
        return []
    if not instrument.country:
        return [
            "the country the instrument was issued in is not stated, so the same-market "
            f"criterion cannot be checked ({ruleset.cite('quality_criteria')})"
        ]
    if instrument.country != record.country:
        return [
            f"issued in {instrument.country}; the consumption is in {record.country}, not the "
            f"same market ({ruleset.cite('quality_criteria')})"
        ]
    return []


def _vintage_reasons(
    ruleset: Ruleset, record: ConsumptionRecord, instrument: ClaimedInstrument
) -> list[str]:
    first = record.period_start.year - ruleset.vintage_window_years
    last = record.period_end.year + ruleset.vintage_window_years
    if instrument.vintage_year is None:
        return [f"no vintage year is stated ({ruleset.cite('quality_criteria')})"]
    if not first <= instrument.vintage_year <= last:
        return [
            f"vintage {instrument.vintage_year} is outside {first}–{last} for a "
            f"{record.period_start}–{record.period_end} consumption period "
            f"({ruleset.cite('quality_criteria')})"
        ]
    return []


def _fallback(ruleset: Ruleset, record: ConsumptionRecord, kwh: float) -> Allocation | None:
    skipped: list[str] = []
    for name in ruleset.fallback:
        factor = record.factors.factor(name)
        if factor is None:
            skipped.append(name)
            continue
        where = record.country if name == "national_consumption_mix" else record.grid_region
        if ruleset.fallback == ("grid_average",):
            why = f"grid consumption at the grid average of {where} ({ruleset.cite('method')})"
        else:
            why = (
                f"consumption not covered by an accepted instrument, at the "
                f"{FACTOR_LABELS[name]} of {where}"
            )
            if skipped:
                why += (
                    f", because no {' or '.join(FACTOR_LABELS[s] for s in skipped)} is "
                    f"available for it ({ruleset.cite('no_residual_mix')})"
                )
                if "residual_mix" in skipped and name == "grid_average":
                    why += "; the grid average may count again attributes that others claim"
            else:
                why += f" ({ruleset.cite('method')})"
        source = record.factors.sources.get(name, FACTOR_LABELS[name])
        return Allocation(kwh, factor, kwh * factor, name, source, why)
    return None


def _not_applicable(
    ruleset: Ruleset,
    record: ConsumptionRecord,
    reason: str,
    decisions: tuple[InstrumentDecision, ...] = (),
) -> RulesetResult:
    return RulesetResult(
        ruleset=ruleset.code,
        version=ruleset.version,
        name=ruleset.name,
        status=ruleset.status,
        applicable=False,
        kwh=record.kwh,
        kg_co2e=None,
        allocations=(),
        instruments=decisions,
        notes=(reason,),
    )


def figures(results: Iterable[RulesetResult], headline: str) -> dict[str, Any]:
    """What a footprint stores: each ruleset's kg CO2e per kWh (None where it cannot be applied),
    which ruleset the headline uses, and every result's explanation, as JSON-ready data.

    ``headline`` is a ruleset code or ``code/version`` among ``results`` that could be applied.
    """
    results = tuple(results)
    chosen = [r for r in results if headline in (r.ruleset, f"{r.ruleset}/{r.version}")]
    if not chosen:
        known = ", ".join(f"{r.ruleset}/{r.version}" for r in results)
        raise ValueError(f"headline ruleset '{headline}' is not among the results ({known})")
    if not chosen[0].applicable:
        raise ValueError(
            f"headline ruleset '{headline}' cannot be applied to this record: {chosen[0].notes[0]}"
        )
    return {
        "headline": f"{chosen[0].ruleset}/{chosen[0].version}",
        "kg_co2e_per_kwh": {f"{r.ruleset}/{r.version}": r.kg_co2e_per_kwh for r in results},
        "results": [r.as_dict() for r in results],
    }
