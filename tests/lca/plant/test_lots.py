"""Production lots from CSV and JSON, with every problem at once."""

from __future__ import annotations

import json

import pytest

from lca.plant.footprint import plant_footprint
from lca.plant.lots import Lot, parse_lots_csv, parse_lots_json
from lca.plant.model import PlantDataError
from tests.lca.plant.conftest import flat_grid, hour_of, hourly_series, line_and_dry_room

HEADER = "lot_id,cell_model,line,start,end,good_cells,scrapped_cells,scrap_step\n"


def test_csv_and_json_lots_in_local_and_offset_times() -> None:
    """A naive 08:00 in Chicago on 2 March (CST, UTC−6) is 14:00 UTC."""
    plant = line_and_dry_room("America/Chicago")
    text = HEADER + "A1,nmc811_pouch,L1,2026-03-02T08:00,2026-03-02T16:00Z,950,50,formation\n"
    (lot,) = parse_lots_csv(text, plant)
    assert lot == Lot(
        "A1",
        "nmc811_pouch",
        "L1",
        hour_of("2026-03-02T14:00:00") * 3600,
        hour_of("2026-03-02T16:00:00") * 3600,
        950,
        50,
        "formation",
    )
    assert lot.cells == 1000
    records = [
        {
            "lot_id": "A1",
            "cell_model": "nmc811_pouch",
            "line": "L1",
            "start": "2026-03-02T08:00",
            "end": "2026-03-02T16:00Z",
            "good_cells": 950,
            "scrapped_cells": 50,
            "scrap_step": "formation",
        }
    ]
    assert parse_lots_json(json.dumps(records), plant) == [lot]


def test_every_lot_problem_at_once() -> None:
    text = HEADER + (
        "A1,m,L9,2026-03-02T08:00Z,2026-03-02T07:00Z,10,0,\n"
        "A1,,L1,yesterday,2026-03-02T09:00Z,1.5,-2,\n"
        "A3,m,L1,2026-03-02T08:00Z,2026-03-02T09:00Z,0,10,formation\n"
    )
    with pytest.raises(PlantDataError) as caught:
        parse_lots_csv(text, line_and_dry_room())
    assert [p for p, _ in caught.value.problems] == [
        (0, "line"),
        (0, "end"),
        (1, "lot_id"),
        (1, "cell_model"),
        (1, "start"),
        (1, "good_cells"),
        (1, "scrapped_cells"),
        (2, "good_cells"),
    ]


def test_a_lot_running_past_the_window_is_flagged() -> None:
    h0 = hour_of("2026-03-02T00:00:00")
    lots = [
        Lot("in", "m", "L1", h0 * 3600, (h0 + 1) * 3600, 10),
        Lot("past", "m", "L1", (h0 + 1) * 3600, (h0 + 3) * 3600, 10),
    ]
    series = hourly_series({"l1": [1, 1], "dry_el": [0, 0]}, h0)
    result = plant_footprint(
        line_and_dry_room(), series, lots, flat_grid(), {}, first_hour=h0, hours=2
    )
    assert result.lots_outside_window == ("past",)
