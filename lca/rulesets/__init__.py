"""Electricity rulesets: the same consumption priced under each text that governs it.

Named, versioned rulesets (``data/rulesets/rulesets.json``, citations in its README): GHG Protocol
Scope 2 location- and market-based (2015), the EU draft delegated act for EV batteries (April
2024 feedback version, a draft), the JRC CFB-EV hierarchy (2023) and the GHG Protocol Scope 2
revision's hourly matching (2025 consultation draft). :func:`evaluate` returns kg CO2e for one
:class:`ConsumptionRecord` and says which kWh got which factor and why.

Pure: no web, SQL or settings imports.
"""

from lca.rulesets.catalogue import Ruleset, RulesetCatalogue, load_rulesets
from lca.rulesets.evaluate import evaluate, evaluate_all, figures
from lca.rulesets.model import (
    CERTIFICATE_STATUSES,
    INSTRUMENT_KINDS,
    Allocation,
    ClaimedInstrument,
    ConsumptionRecord,
    GridFactors,
    InstrumentDecision,
    RulesetInputError,
    RulesetResult,
    UnknownRuleset,
)

__all__ = [
    "CERTIFICATE_STATUSES",
    "INSTRUMENT_KINDS",
    "Allocation",
    "ClaimedInstrument",
    "ConsumptionRecord",
    "GridFactors",
    "InstrumentDecision",
    "Ruleset",
    "RulesetCatalogue",
    "RulesetInputError",
    "RulesetResult",
    "UnknownRuleset",
    "evaluate",
    "evaluate_all",
    "figures",
    "load_rulesets",
]
