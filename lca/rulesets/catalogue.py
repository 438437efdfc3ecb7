"""The rulesets as data: ``data/rulesets/rulesets.json`` read into frozen :class:`Ruleset`\\ s.

Each ruleset is a handful of parameters read from its primary text (which instruments count,
which quality criteria apply, the fallback order, annual or hourly matching) plus citations; the
one evaluation function in :mod:`lca.rulesets.evaluate` interprets them. Citations and the
reading behind every parameter are in ``data/rulesets/README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from lca.catalogue import DEFAULT_DATA_DIR
from lca.rulesets.model import (
    CONTRACTUAL_KINDS,
    FALLBACK_FACTORS,
    PHYSICAL_KINDS,
    UnknownRuleset,
)

RULESETS_FILE: Final = Path("rulesets") / "rulesets.json"
MARKET_BOUNDARIES: Final[tuple[str, ...]] = ("country", "bidding_zone")
TEMPORAL_MATCHING: Final[tuple[str, ...]] = ("annual", "hourly")


@dataclass(frozen=True)
class Ruleset:
    """One named, versioned electricity ruleset (see data/rulesets/README.md)."""

    code: str  # the ruleset's identifier in the data file
    version: str
    name: str
    status: str  # "final", "draft", "consultation draft", …
    document: str
    temporal_matching: str
    physical_kinds: tuple[str, ...]
    physical_requires_certificates_kept: bool
    contractual_kinds: tuple[str, ...]
    market_boundary: str
    vintage_window_years: int
    requires_cancellation: bool
    fallback: tuple[str, ...]
    citations: Mapping[str, str]

    @property
    def key(self) -> str:
        """``code/version``: what a stored footprint records."""
        return f"{self.code}/{self.version}"

    def cite(self, topic: str) -> str:
        return self.citations.get(topic) or self.citations.get("method", self.document)


@dataclass(frozen=True)
class RulesetCatalogue:
    rulesets: tuple[Ruleset, ...]
    regulatory: str  # code of the ruleset the EU declaration uses

    def get(self, ruleset_id: str) -> Ruleset:
        """By ``code`` or ``code/version``."""
        for ruleset in self.rulesets:
            if ruleset_id in (ruleset.code, ruleset.key):
                return ruleset
        known = ", ".join(r.key for r in self.rulesets)
        raise UnknownRuleset(f"no electricity ruleset '{ruleset_id}'; known: {known}")

    @property
    def regulatory_ruleset(self) -> Ruleset:
        return self.get(self.regulatory)


def _ruleset(raw: Mapping[str, Any]) -> Ruleset:
    ruleset = Ruleset(
        code=str(raw["code"]),
        version=str(raw["version"]),
        name=str(raw["name"]),
        status=str(raw["status"]),
        document=str(raw["document"]),
        temporal_matching=str(raw["temporal_matching"]),
        physical_kinds=tuple(raw["physical_kinds"]),
        physical_requires_certificates_kept=bool(raw["physical_requires_certificates_kept"]),
        contractual_kinds=tuple(raw["contractual_kinds"]),
        market_boundary=str(raw["market_boundary"]),
        vintage_window_years=int(raw["vintage_window_years"]),
        requires_cancellation=bool(raw["requires_cancellation"]),
        fallback=tuple(raw["fallback"]),
        citations=dict(raw["citations"]),
    )
    wrong = [f"physical kind {k!r}" for k in ruleset.physical_kinds if k not in PHYSICAL_KINDS] + [
        f"contractual kind {k!r}" for k in ruleset.contractual_kinds if k not in CONTRACTUAL_KINDS
    ]
    wrong += [f"fallback {f!r}" for f in ruleset.fallback if f not in FALLBACK_FACTORS]
    if ruleset.market_boundary not in MARKET_BOUNDARIES:
        wrong.append(f"market boundary {ruleset.market_boundary!r}")
    if ruleset.temporal_matching not in TEMPORAL_MATCHING:
        wrong.append(f"temporal matching {ruleset.temporal_matching!r}")
    if not ruleset.fallback:
        wrong.append("an empty fallback")
    if wrong:
        raise ValueError(f"ruleset {ruleset.key} in {RULESETS_FILE} has {', '.join(wrong)}")
    return ruleset


@lru_cache(maxsize=4)
def load_rulesets(data_dir: Path = DEFAULT_DATA_DIR) -> RulesetCatalogue:
    """The rulesets of ``data_dir`` (read once per process and directory)."""
    with (data_dir / RULESETS_FILE).open(encoding="utf-8") as handle:
        raw = json.load(handle)
    catalogue = RulesetCatalogue(
        rulesets=tuple(_ruleset(r) for r in raw["rulesets"]), regulatory=str(raw["regulatory"])
    )
    catalogue.regulatory_ruleset  # noqa: B018 - fails early if the regulatory code is unknown
    return catalogue
