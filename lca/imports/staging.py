"""What a format reader hands over, and the checks every import passes before it is written.

A reader returns linked bw2io-style datasets (``ReadResult``): dictionaries with ``database``,
``code``, ``unit`` and ``exchanges`` whose ``input`` is a (database, code) key. The checks here
are format-independent: unknown units, and technosphere inputs whose unit differs from the unit
of the activity that provides them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lca.imports.report import UNIT_MISMATCH, UNKNOWN_UNIT, Problem

# Units after bw2io's ``normalize_units``, plus those ecoinvent and openLCA use as they are.
_EXTRA_UNITS = {
    "kilo Becquerel",
    "Becquerel",
    "ton",
    "gram",
    "kilogram day",
    "kg SWU",
    "EUR2005",
    "guest night",
    "dimensionless",
    "item",
    "kilogram kilometer",
    "normal cubic meter",
    "standard cubic meter",
}


def known_units() -> frozenset[str]:
    from bw2io.units import _USED_IN_ECOINVENT, DEFAULT_UNITS_CONVERSION, UNITS_NORMALIZATION

    units = set(UNITS_NORMALIZATION.values()) | set(_USED_IN_ECOINVENT) | _EXTRA_UNITS
    units |= {to_unit for _, to_unit, _ in DEFAULT_UNITS_CONVERSION}
    return frozenset(units)


@dataclass
class ReadResult:
    """Linked datasets from a reader, with what it found wrong; nothing written yet."""

    source_format: str
    datasets: list[dict[str, Any]]
    problems: list[Problem]
    # Elementary flows the source brings itself (openLCA, SimaPro); None: biosphere3 is used.
    biosphere_flows: list[dict[str, Any]] | None = None
    biosphere_name: str | None = None
    # Methods shipped with the source: name → [(flow key, factor)].
    shipped_methods: dict[tuple[str, ...], list[tuple[tuple[str, str], float]]] = field(
        default_factory=dict
    )


def check_units(
    datasets: Iterable[dict[str, Any]], biosphere_units: dict[Any, Any]
) -> list[Problem]:
    """Unknown units anywhere, and inputs measured in another unit than their provider's."""
    known = known_units()
    datasets = list(datasets)
    unit_of = {(ds.get("database"), ds.get("code")): ds.get("unit") for ds in datasets}
    unit_of.update(biosphere_units)
    problems: list[Problem] = []
    for ds in datasets:
        where = _where(ds)
        if ds.get("unit") not in known:
            problems.append(
                Problem(
                    UNKNOWN_UNIT, where, f"activity unit {ds.get('unit')!r} is not a known unit"
                )
            )
        for exc in ds.get("exchanges", []):
            unit = exc.get("unit")
            if unit is not None and unit not in known:
                problems.append(
                    Problem(
                        UNKNOWN_UNIT,
                        where,
                        f"{exc.get('type')} exchange '{exc.get('name')}' is in unknown "
                        f"unit {unit!r}",
                    )
                )
                continue
            provider_unit = unit_of.get(_key(exc.get("input")))
            if (
                unit is not None
                and provider_unit
                and provider_unit in known
                and exc.get("type") in ("technosphere", "substitution")
                and unit != provider_unit
            ):
                problems.append(
                    Problem(
                        UNIT_MISMATCH,
                        where,
                        f"input '{exc.get('name')}' is given in {unit}, but its provider "
                        f"produces {provider_unit}",
                    )
                )
    return problems


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def _where(ds: dict[str, Any]) -> str:
    return str(ds.get("filename") or f"{ds.get('name')} [{ds.get('location')}]")
