"""What an imported background is: name, version, source, size and method coverage."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

DESCRIPTOR_FILE = "cellcarbon-import.json"


@dataclass(frozen=True)
class MethodCoverage:
    """How well IPCC AR6 (data/method/) covers an imported biosphere.

    ``share_by_flow`` is each of our flows' share of GWP100 on the test footprint (one unit of
    every product of the background, summed); ``uncharacterised_ghg_kg`` is the mass of
    greenhouse-gas-looking flows our method does not count on that same footprint.
    """

    method: str
    characterised_flows: int  # imported flows that got a factor
    found: dict[str, list[str]]  # our flow key → rules that matched it ("uuid", "name", "cas")
    missing: list[str]  # our flow keys no imported flow matched
    uncharacterised_ghg: list[str]
    test_footprint_kg_co2e: float
    share_by_flow: dict[str, float]
    uncharacterised_ghg_kg: float
    shipped_methods: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class BackgroundDescriptor:
    """One imported background. ``version`` is the content hash of its source and method."""

    name: str
    version: str
    source_format: str
    activities: int
    exchanges: int
    biosphere_flows: int
    coverage: MethodCoverage
    brightway_dir: str
    warnings: list[str] = field(default_factory=list)

    def save(self, directory: Path) -> None:
        (directory / DESCRIPTOR_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def read(cls, directory: Path) -> BackgroundDescriptor:
        data = json.loads((directory / DESCRIPTOR_FILE).read_text())
        data["coverage"] = MethodCoverage(**data["coverage"])
        data["brightway_dir"] = str(directory)
        return cls(**data)
