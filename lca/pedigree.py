"""Pedigree scores: five data-quality indicators for every exchange of data/background.

Each exchange gets five pedigree indicators, each 1 (best) to 5 (worst), as in the pedigree
matrix of Weidema & Wesnæs 1996 (J. Cleaner Prod. 4(3-4):167-174) as the ecoinvent data quality
guideline carries it on (Weidema et al. 2013, ecoinvent report 1(v3), chapter on the pedigree
matrix): reliability, completeness, temporal, geographical and further technological
correlation. A footprint's rating built from them is in :mod:`lca.quality`.

Our exchanges carry no pedigree of their own, so the scores are *derived* from what each
exchange's ``source`` says, by :func:`derive` (the rule is documented in data/quality/README.md
and every row of data/quality/pedigree.csv says ``derived``):

* reliability — ``estimate`` → 4 (qualified estimate); ``derived:`` (calculated from published
  figures or stoichiometry) or a cited document with a year → 2; stoichiometry alone → 1;
  nothing recognisable → 5;
* completeness — 3 for literature and statistics (representative of some sites), 4 for
  estimates; 1 for stoichiometry (complete by construction);
* temporal — the newest year the source cites against :data:`REFERENCE_YEAR`: under 3 years
  → 1, 6 → 2, 10 → 3, 15 → 4, older or none → 5 (stoichiometry: 1);
* geographical — the activity is GLO → 3 (average of a larger area); a regional activity whose
  source is an estimate → 3; otherwise 2 (stoichiometry: 1);
* technological — estimate → 3, otherwise 2 (stoichiometry: 1).

Each exchange's PEF data quality rating is DQR = (TeR + GeR + TiR + P) / 4 (Commission
Recommendation (EU) 2021/2279, Annex I, data quality requirements; section number not checked
here), with the precision P taken as the reliability indicator; completeness is kept but, as in
the PEF formula, not averaged in.

The geometric standard deviation of an exchange without one (an empty ``gsd`` column) follows
from its pedigree by the ecoinvent v2 formula (Frischknecht et al. 2007, ecoinvent report no. 1,
Overview and Methodology, section on uncertainty: basic uncertainty and pedigree factors):
GSD² = exp(√(ln²U_b + Σ ln²U_i)), with the basic uncertainty U_b of the exchange type and the
uncertainty factors U_i of its five scores; the build uses it for estimates (an empty ``gsd``
on any other row still means no uncertainty).
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lca.catalogue import DEFAULT_DATA_DIR, Catalogue, load_catalogue

REFERENCE_YEAR = 2024  # the background's reference year for temporal correlation
PEDIGREE_FILE = Path("quality") / "pedigree.csv"
INDICATOR_NAMES = ("reliability", "completeness", "temporal", "geographical", "technological")

# Uncertainty factors (contributions to GSD²) per indicator score 1..5: Frischknecht et al. 2007,
# ecoinvent report no. 1 (v2.0), the pedigree matrix's default uncertainty factors.
UNCERTAINTY_FACTORS: dict[str, tuple[float, ...]] = {
    "reliability": (1.00, 1.05, 1.10, 1.20, 1.50),
    "completeness": (1.00, 1.02, 1.05, 1.10, 1.20),
    "temporal": (1.00, 1.03, 1.10, 1.20, 1.50),
    "geographical": (1.00, 1.01, 1.02, 1.05, 1.10),
    "technological": (1.00, 1.05, 1.20, 1.50, 2.00),
}
# Basic uncertainty (GSD²) by exchange: Frischknecht et al. 2007 (as above) — demand of energy,
# materials and services 1.05, transport services 2.00, CO2 from combustion 1.05, CH4 and N2O
# from combustion 1.50, other emissions to air 1.50.
BASIC_UNCERTAINTY = {"technosphere": 1.05, "transport": 2.00, "co2": 1.05, "biosphere": 1.50}

_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")


@dataclass(frozen=True)
class Pedigree:
    reliability: int
    completeness: int
    temporal: int
    geographical: int
    technological: int

    @property
    def dqr(self) -> float:
        """PEF data quality rating: (TeR + GeR + TiR + P) / 4, P = reliability."""
        return (self.technological + self.geographical + self.temporal + self.reliability) / 4

    def gsd(self, basic: float) -> float:
        """Geometric SD from the pedigree and the basic uncertainty (both as GSD² factors)."""
        squares = math.log(basic) ** 2 + sum(
            math.log(UNCERTAINTY_FACTORS[name][getattr(self, name) - 1]) ** 2
            for name in INDICATOR_NAMES
        )
        return math.exp(0.5 * math.sqrt(squares))


def _age_score(years: list[int]) -> int:
    if not years:
        return 5
    age = REFERENCE_YEAR - max(years)
    for limit, score in ((3, 1), (6, 2), (10, 3), (15, 4)):
        if age < limit:
            return score
    return 5


def derive(source: str, location: str) -> Pedigree:
    """The pedigree of an exchange, derived from its ``source`` text and its activity's
    ``location`` (see the module docstring for the rule)."""
    # A trailing "gsd: …" / "gsd estimate: …" note is about the spread, not the amount.
    source = re.split(r"\bgsd\b", source, maxsplit=1, flags=re.IGNORECASE)[0]
    text = source.lower().strip()
    years = [int(y) for y in _YEAR.findall(source)]
    stoichiometric = "stoichiometr" in text and "estimate" not in text and not years
    if stoichiometric:
        return Pedigree(1, 1, 1, 1, 1)
    estimate = is_estimate(source)
    if estimate:
        reliability = 4
    elif text.startswith("derived") or years:
        reliability = 2
    else:
        reliability = 5
    geographical = 3 if location in ("GLO", "") or estimate else 2
    return Pedigree(
        reliability=reliability,
        completeness=4 if estimate or reliability == 5 else 3,
        temporal=_age_score(years),
        geographical=geographical,
        technological=3 if estimate or reliability == 5 else 2,
    )


def is_estimate(source: str) -> bool:
    """Whether an exchange's ``source`` calls its amount an estimate (a ``gsd`` note aside)."""
    text = re.split(r"\bgsd\b", source, maxsplit=1, flags=re.IGNORECASE)[0].lower().strip()
    return text.startswith("estimate") or ("estimate" in text and not text.startswith("derived"))


def basic_uncertainty(kind: str, input_code: str, category: str | None) -> float:
    """Basic uncertainty (GSD²) of an exchange of ``kind`` of ``input_code`` (its category)."""
    if kind == "technosphere":
        return BASIC_UNCERTAINTY["transport" if category == "transport" else "technosphere"]
    return BASIC_UNCERTAINTY["co2" if input_code.startswith("co2") else "biosphere"]


def pedigree_rows(catalogue: Catalogue) -> list[dict[str, str]]:
    """One row per exchange: its key, derived pedigree, DQR and the GSD the pedigree implies."""
    location = {a.code: a.location for a in catalogue.activities}
    category = {a.code: a.category for a in catalogue.activities}
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    rows = []
    for exchange in catalogue.exchanges:
        key = (exchange.activity, exchange.kind, exchange.input)
        occurrence = seen[key]
        seen[key] += 1
        pedigree = derive(exchange.source, location.get(exchange.activity, ""))
        basic = basic_uncertainty(exchange.kind, exchange.input, category.get(exchange.input))
        rows.append(
            {
                "activity": exchange.activity,
                "type": exchange.kind,
                "input": exchange.input,
                "occurrence": str(occurrence),
                **{name: str(getattr(pedigree, name)) for name in INDICATOR_NAMES},
                "dqr": f"{pedigree.dqr:.2f}",
                "pedigree_gsd": f"{pedigree.gsd(basic):.3f}",
                "basis": "derived from source text (lca.pedigree.derive)",
            }
        )
    return rows


def pedigree_csv(catalogue: Catalogue) -> str:
    rows = pedigree_rows(catalogue)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    """``python -m lca.pedigree [--write]``: print or write data/quality/pedigree.csv."""
    text = pedigree_csv(load_catalogue(DEFAULT_DATA_DIR))
    if "--write" in argv:
        path = DEFAULT_DATA_DIR / PEDIGREE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
