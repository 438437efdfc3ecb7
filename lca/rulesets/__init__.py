"""Electricity rulesets: the same consumption priced under each text that governs it.

Named, versioned rulesets (``data/rulesets/rulesets.json``, citations in its README): GHG Protocol
Scope 2 location- and market-based (2015), the EU draft delegated act for EV batteries (April
2024 feedback version, a draft), the JRC CFB-EV hierarchy (2023) and the GHG Protocol Scope 2
revision's hourly matching (2025 consultation draft). :func:`evaluate` returns kg CO2e for one
:class:`ConsumptionRecord` and says which kWh got which factor and why.

Where each rule comes from (details and CellCarbon's readings in data/rulesets/README.md):
Scope 2 Guidance ch. 4 and 6 (Tables 6.2, 6.3) for the hierarchies and ch. 7 (Table 7.1) for the
quality criteria; the draft delegated act's Annex section 2.4.1 for electricity; PEF method
(Recommendation (EU) 2021/2279) Annex I section 4.4.2 as applied by CFB-EV; the 2025 Scope 2
consultation for hourly matching and deliverability.

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
