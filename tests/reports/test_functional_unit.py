"""The functional-unit applications the API documents are the ones the data file defines."""

from __future__ import annotations

import csv

from app.reports.model import APPLICATIONS, DEFAULT_APPLICATION
from lca.catalogue import DEFAULT_DATA_DIR


def test_documented_applications_are_the_data_files() -> None:
    path = DEFAULT_DATA_DIR / "lifecycle" / "functional_unit.csv"
    with path.open(newline="") as handle:
        assert tuple(row["application"] for row in csv.DictReader(handle)) == APPLICATIONS
    assert DEFAULT_APPLICATION in APPLICATIONS
