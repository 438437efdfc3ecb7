"""Readings: layouts, units, DST days, registers, the quality report and re-uploads."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from lca.plant.model import Line, Meter, Plant, PlantDataError
from lca.plant.readings import parse_json_records, parse_long_csv, parse_wide_csv
from lca.plant.series import hourly_matrix, merge
from tests.lca.plant.conftest import hour_of

CHICAGO = "America/Chicago"  # Spring Hill, Tennessee keeps Central time


def _plant(zone: str = CHICAGO, register_max: float | None = None) -> Plant:
    return Plant(
        "p",
        "Spring Hill",
        "US-SRTV",
        zone,
        lines=(Line("L1"),),
        meters=(
            Meter("el", "electricity", "line", "L1"),
            Meter("gas", "natural_gas", "plant"),
            Meter("reg", "electricity", "plant", cumulative=True, register_max=register_max),
        ),
    )


def _local_day_csv(day: date, hours: list[int]) -> str:
    lines = ["meter,timestamp,value,unit"]
    lines += [f"el,{day.isoformat()}T{h:02d}:00:00,1,kWh" for h in hours]
    return "\n".join(lines) + "\n"


def test_spring_forward_day_has_23_hours() -> None:
    """8 March 2026, Chicago: 02:00 CST jumps to 03:00 CDT. Hourly local readings 00-01, 03-23
    are 23 values; local midnight is 06:00 UTC and the next one 05:00 UTC on 9 March, 23 hours
    apart. 1 kWh each → 23 kWh, one per UTC hour, no gap."""
    text = _local_day_csv(date(2026, 3, 8), [h for h in range(24) if h != 2])
    series, report = parse_long_csv(text, _plant(), interval_s=3600)
    first = hour_of("2026-03-08T06:00:00")
    matrix = hourly_matrix(series, ["el"], first, 23)
    assert len(series) == 23 and series.total("el") == 23
    assert np.all(matrix == 1.0)
    assert report.clean


def test_fall_back_day_has_25_hours_and_the_repeated_hour_is_no_duplicate() -> None:
    """1 November 2026, Chicago: 02:00 CDT falls back to 01:00 CST, so 01:00 local occurs twice.
    25 readings, the second 01:00 taken as the later (CST) instant; midnight CDT is 05:00 UTC and
    the next midnight CST 06:00 UTC on 2 November: 25 hours, 1 kWh each."""
    hours = [0, 1, 1, *range(2, 24)]
    series, report = parse_long_csv(_local_day_csv(date(2026, 11, 1), hours), _plant())
    first = hour_of("2026-11-01T05:00:00")
    assert np.all(hourly_matrix(series, ["el"], first, 25) == 1.0)
    assert report.duplicates == () and report.gaps == ()


def test_a_local_time_that_does_not_exist_is_a_problem() -> None:
    with pytest.raises(PlantDataError) as caught:
        parse_long_csv(_local_day_csv(date(2026, 3, 8), [1, 2]), _plant())
    assert caught.value.problems == [
        (
            ("rows", 1, "timestamp"),
            "local time '2026-03-08T02:00:00' does not exist in America/Chicago "
            "(clocks went forward)",
        )
    ]


def test_register_roll_over_and_reset() -> None:
    """A register that wraps at 100 000 kWh reads 99 990, 99 998, 6, 20, then 5.
    Intervals: 8; 100 000 − 99 998 + 6 = 8 (roll-over); 14; and 20 → 5 is a reset (5 is below
    half the maximum but 20 is not above it): 5 counted since the reset. Total 8 + 8 + 14 + 5 = 35.
    """
    rows = ["meter,timestamp,value,unit"]
    for hour, value in enumerate([99990, 99998, 6, 20, 5]):
        rows.append(f"reg,2026-03-02T{hour:02d}:00:00+00:00,{value},kWh")
    series, report = parse_long_csv("\n".join(rows), _plant(register_max=100000))
    assert series.value.tolist() == pytest.approx([8, 8, 14, 5])
    assert len(report.rollovers) == 1 and len(report.resets) == 1
    assert report.rollovers[0].start_s == hour_of("2026-03-02T01:00:00") * 3600


def test_register_in_mwh_is_converted_and_wraps_in_its_own_unit() -> None:
    """Register in MWh wrapping at 1000: 999.5 → 0.25 is 0.75 MWh = 750 kWh."""
    text = (
        "meter,timestamp,value,unit\n"
        "reg,2026-03-02T00:00Z,999.5,MWh\n"
        "reg,2026-03-02T01:00Z,0.25,MWh\n"
    )
    series, _ = parse_long_csv(text, _plant(register_max=1000))
    assert series.value.tolist() == pytest.approx([750])


def test_unit_mismatches_and_other_row_problems_are_all_reported_at_once() -> None:
    """m³ and kg cannot measure electricity; m² cannot measure gas (energy, volume or mass);
    'abc' is no number and 'xx' no meter. Gas in m³ and electricity in MWh are fine."""
    text = (
        "meter,timestamp,value,unit\n"
        "el,2026-03-02T00:00Z,5,m^3\n"
        "el,2026-03-02T01:00Z,5,kg\n"
        "gas,2026-03-02T00:00Z,5,m^2\n"
        "gas,2026-03-02T01:00Z,5,m^3\n"
        "el,2026-03-02T02:00Z,abc,MWh\n"
        "xx,2026-03-02T00:00Z,1,kWh\n"
    )
    with pytest.raises(PlantDataError) as caught:
        parse_long_csv(text, _plant())
    where = [p for p, _ in caught.value.problems]
    assert sorted(where) == sorted(
        [
            ("rows", 0, "unit"),
            ("rows", 1, "unit"),
            ("rows", 2, "unit"),
            ("rows", 4, "value"),
            ("rows", 5, "meter"),
        ]
    )
    messages = dict(caught.value.problems)
    assert "cannot measure electricity" in messages[("rows", 0, "unit")]
    assert "volume" in messages[("rows", 0, "unit")]


def test_gas_volume_becomes_mj_of_lower_heating_value() -> None:
    """1 m³ of natural gas is 34.41 MJ LHV (data/units/fuels.csv)."""
    text = "meter,timestamp,value,unit\ngas,2026-03-02T00:00Z,2,m^3\n"
    series, _ = parse_long_csv(text, _plant())
    assert series.total("gas") == pytest.approx(2 * 34.41, rel=1e-3)


def test_wide_and_json_layouts_give_the_same_series() -> None:
    wide = (
        "timestamp,el [kWh],gas [MJ]\n"
        "2026-03-02T00:00Z,1,10\n2026-03-02T01:00Z,2,\n2026-03-02T02:00Z,3,30\n"
    )
    records = [
        {"meter": "el", "timestamp": f"2026-03-02T0{h}:00Z", "value": h + 1, "unit": "kWh"}
        for h in range(3)
    ] + [
        {"meter": "gas", "timestamp": "2026-03-02T00:00Z", "value": 10, "unit": "MJ"},
        {"meter": "gas", "timestamp": "2026-03-02T02:00Z", "value": 30, "unit": "MJ"},
    ]
    a, report = parse_wide_csv(wide, _plant(), interval_s=3600)
    b, _ = parse_json_records(records, _plant(), interval_s=3600)
    for series in (a, b):
        assert series.total("el") == 6 and series.total("gas") == 40
    assert [(g.meter_id, g.end_s - g.start_s) for g in report.gaps] == [("gas", 3600)]


def test_quality_report_duplicates_negatives_and_spikes() -> None:
    """30 hourly values of 1 kWh, one of 50 (mean power 50 × the median: a spike), one of −2
    (dropped), and hour 3 sent twice (the last value, 4, kept)."""
    rows = ["meter,timestamp,value,unit"]
    for hour in range(30):
        value = {5: 50, 7: -2}.get(hour, 1)
        stamp = f"2026-03-{2 + hour // 24:02d}T{hour % 24:02d}:00:00Z"
        rows.append(f"el,{stamp},{value},kWh")
    rows.append("el,2026-03-02T03:00:00Z,4,kWh")
    series, report = parse_long_csv("\n".join(rows), _plant(), interval_s=3600)
    assert [f.start_s // 3600 - hour_of("2026-03-02T00:00:00") for f in report.spikes] == [5]
    assert len(report.negative_intervals) == 1 and len(report.duplicates) == 1
    assert series.total("el") == pytest.approx(27 * 1 + 50 + 4)
    assert len(report.gaps) == 1  # the dropped negative hour leaves a hole


def test_re_upload_replaces_a_period_and_never_double_counts() -> None:
    """Day 1 sent hourly, 1 kWh × 24 = 24. Hours 10-13 re-sent as 15-minute values of 0.5 kWh
    (16 × 0.5 = 8): the 4 old hours go, the total is 24 − 4 + 8 = 28. Sending the same again
    replaces those 16 values and leaves 28."""
    day = ["meter,timestamp,value,unit"] + [
        f"el,2026-03-02T{h:02d}:00:00Z,1,kWh" for h in range(24)
    ]
    fix = ["meter,timestamp,value,unit"] + [
        f"el,2026-03-02T{10 + q // 4:02d}:{15 * (q % 4):02d}:00Z,0.5,kWh" for q in range(16)
    ]
    plant = _plant()
    first, _ = parse_long_csv("\n".join(day), plant, interval_s=3600)
    update, _ = parse_long_csv("\n".join(fix), plant, interval_s=900)
    merged, replaced = merge(first, update)
    assert (replaced, merged.total("el")) == (4, pytest.approx(28))
    again, replaced = merge(merged, update)
    assert (replaced, again.total("el")) == (16, pytest.approx(28))


def test_an_interval_over_several_hours_is_spread_by_time() -> None:
    """A register read at 00:30 and 03:00 counts 25 kWh over 2.5 h: 5 in hour 0 (half an hour),
    10 in hours 1 and 2."""
    text = (
        "meter,timestamp,value,unit\n"
        "reg,2026-03-02T00:30:00Z,100,kWh\n"
        "reg,2026-03-02T03:00:00Z,125,kWh\n"
    )
    series, _ = parse_long_csv(text, _plant())
    matrix = hourly_matrix(series, ["reg"], hour_of("2026-03-02T00:00:00"), 4)
    assert matrix[0].tolist() == pytest.approx([5, 10, 10, 0])
