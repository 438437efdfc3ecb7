"""Storing meter readings: a period sent again replaces the stored one, and hourly roll-ups follow.

On PostgreSQL the rows are streamed with COPY in batches of :data:`COPY_BATCH` (memory stays
bounded whatever the upload's size) and the roll-ups are computed in SQL; on SQLite (development,
tests) the rows are inserted in batches and the roll-ups computed with the core's binning
(:func:`lca.plant.series.hourly_matrix`). Both follow :func:`lca.plant.series.merge`: for each
meter, every stored interval that overlaps the span the upload covers is dropped first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session, col

from app.plants.models import MeterHourly, MeterReading
from lca.plant.series import IntervalSeries, hourly_matrix

COPY_BATCH = 200_000


@dataclass(frozen=True)
class MeterSpan:
    """The span an upload covers for one meter, and the hours whose roll-up it changes."""

    meter_id: str
    lo_s: int
    hi_s: int
    first_hour: int = 0
    last_hour: int = -1  # inclusive


@dataclass(frozen=True)
class Stored:
    values_stored: int
    values_replaced: int
    hours_rolled_up: int


def spans_of(series: IntervalSeries) -> list[MeterSpan]:
    spans = []
    for position, meter_id in enumerate(series.meter_ids):
        rows = series.meter == position
        if rows.any():
            lo, hi = int(series.start_s[rows].min()), int(series.end_s[rows].max())
            spans.append(MeterSpan(meter_id, lo, hi))
    return spans


def store_series(
    session: Session, organisation_id: uuid.UUID, plant_id: uuid.UUID, series: IntervalSeries
) -> Stored:
    """Replace the spans ``series`` covers with its intervals and roll the hours up again."""
    spans = spans_of(series)
    replaced, spans = drop_overlapping(session, plant_id, spans)
    if _is_postgres(session):
        copy_intervals(session, organisation_id, plant_id, series)
    else:
        _insert_intervals(session, organisation_id, plant_id, series)
    hours = roll_up(session, organisation_id, plant_id, spans)
    return Stored(len(series), replaced, hours)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def drop_overlapping(
    session: Session, plant_id: uuid.UUID, spans: Sequence[MeterSpan]
) -> tuple[int, list[MeterSpan]]:
    """Delete stored intervals overlapping each span; widen the roll-up hours to cover them."""
    replaced = 0
    widened = []
    for span in spans:
        overlapping = (
            col(MeterReading.plant_id) == plant_id,
            col(MeterReading.meter_id) == span.meter_id,
            col(MeterReading.start_s) < span.hi_s,
            col(MeterReading.end_s) > span.lo_s,
        )
        count, lo, hi = session.execute(
            select(
                func.count(), func.min(MeterReading.start_s), func.max(MeterReading.end_s)
            ).where(*overlapping)
        ).one()
        if count:
            session.execute(delete(MeterReading).where(*overlapping))
            replaced += int(count)
        lo_s, hi_s = min(span.lo_s, lo or span.lo_s), max(span.hi_s, hi or span.hi_s)
        widened.append(
            MeterSpan(span.meter_id, span.lo_s, span.hi_s, lo_s // 3600, (hi_s - 1) // 3600)
        )
    return replaced, widened


def copy_intervals(
    session: Session,
    organisation_id: uuid.UUID,
    plant_id: uuid.UUID,
    series: IntervalSeries,
    batch: int = COPY_BATCH,
) -> None:
    """Stream ``series`` into meter_reading with a binary COPY, ``batch`` rows per write.

    NumPy packs the rows into PostgreSQL's binary COPY format: no text to format in Python and
    none to parse in the server (the text format spent a fifth of the ingest formatting rows).
    """
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    statement = (
        "COPY meter_reading (organisation_id, plant_id, meter_id, start_s, end_s, value) "
        "FROM STDIN (FORMAT BINARY)"
    )
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        copy.write(_COPY_HEADER)
        for chunk in _copy_binary(organisation_id, plant_id, series, batch):
            copy.write(chunk)
        copy.write(_COPY_TRAILER)


# Binary COPY: signature, flags (no OIDs), header extension length; a field count of -1 ends.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _row_type(meter_bytes: int) -> np.dtype[np.void]:
    """One binary COPY tuple: field count, then each field's length and big-endian value."""
    return np.dtype(
        [
            ("fields", ">i2"),
            ("org_len", ">i4"),
            ("org", "V16"),
            ("plant_len", ">i4"),
            ("plant", "V16"),
            ("meter_len", ">i4"),
            ("meter", f"S{meter_bytes}"),
            ("start_len", ">i4"),
            ("start", ">i8"),
            ("end_len", ">i4"),
            ("end", ">i8"),
            ("value_len", ">i4"),
            ("value", ">f8"),
        ]
    )


def _copy_binary(
    organisation_id: uuid.UUID, plant_id: uuid.UUID, series: IntervalSeries, batch: int
) -> Iterable[bytes]:
    names = [m.encode() for m in series.meter_ids]
    org, plant = np.void(organisation_id.bytes), np.void(plant_id.bytes)
    order = np.argsort(series.meter, kind="stable")
    bounds = np.searchsorted(series.meter[order], np.arange(len(names) + 1))
    for position, name in enumerate(names):
        rows = order[bounds[position] : bounds[position + 1]]
        for lo in range(0, rows.size, batch):
            part = rows[lo : lo + batch]
            packed = np.empty(part.size, dtype=_row_type(len(name)))
            packed["fields"] = 6
            packed["org_len"] = packed["plant_len"] = 16
            packed["org"], packed["plant"] = org, plant
            packed["meter_len"], packed["meter"] = len(name), name
            packed["start_len"] = packed["end_len"] = packed["value_len"] = 8
            packed["start"] = series.start_s[part]
            packed["end"] = series.end_s[part]
            packed["value"] = series.value[part]
            yield packed.tobytes()


def _insert_intervals(
    session: Session, organisation_id: uuid.UUID, plant_id: uuid.UUID, series: IntervalSeries
) -> None:
    for lo in range(0, len(series), 20_000):
        part = slice(lo, lo + 20_000)
        rows = [
            {
                "organisation_id": organisation_id,
                "plant_id": plant_id,
                "meter_id": series.meter_ids[m],
                "start_s": s,
                "end_s": e,
                "value": v,
            }
            for m, s, e, v in zip(
                series.meter[part].tolist(),
                series.start_s[part].tolist(),
                series.end_s[part].tolist(),
                series.value[part].tolist(),
                strict=True,
            )
        ]
        session.execute(insert(MeterReading), rows)


# One scan: each interval is cut into the hours it touches (one for 15-minute and hourly meters,
# several for a register read twice a day), each piece with its share of the interval's time.
# (A UNION of a direct GROUP BY for one-hour intervals and this for the rest read the table twice
# and was slower.)
_ROLL_UP_SQL = """
INSERT INTO meter_hourly (organisation_id, plant_id, meter_id, hour, value)
SELECT :organisation_id, :plant_id, r.meter_id, h.hour,
       sum(CASE WHEN r.end_s <= (r.start_s / 3600 + 1) * 3600 THEN r.value
           ELSE r.value * (LEAST(r.end_s, (h.hour + 1) * 3600) - GREATEST(r.start_s, h.hour * 3600))
                / GREATEST(r.end_s - r.start_s, 1)::double precision END)
FROM meter_reading r
JOIN unnest(CAST(:meters AS text[]), CAST(:los AS bigint[]), CAST(:his AS bigint[]))
    AS s(meter_id, lo, hi)
  ON r.meter_id = s.meter_id AND r.start_s < s.hi AND r.end_s > s.lo
CROSS JOIN LATERAL generate_series(r.start_s / 3600, (r.end_s - 1) / 3600) AS h(hour)
WHERE r.plant_id = :plant_id AND h.hour * 3600 >= s.lo AND h.hour * 3600 < s.hi
GROUP BY r.meter_id, h.hour
"""


def roll_up(
    session: Session, organisation_id: uuid.UUID, plant_id: uuid.UUID, spans: Sequence[MeterSpan]
) -> int:
    """Recompute the hourly roll-ups of each span's hours; return how many hours were written."""
    if not spans:
        return 0
    for span in spans:
        session.execute(
            delete(MeterHourly).where(
                col(MeterHourly.plant_id) == plant_id,
                col(MeterHourly.meter_id) == span.meter_id,
                col(MeterHourly.hour).between(span.first_hour, span.last_hour),
            )
        )
    if _is_postgres(session):
        result = session.execute(
            text(_ROLL_UP_SQL),
            {
                "organisation_id": organisation_id,
                "plant_id": plant_id,
                "meters": [s.meter_id for s in spans],
                "los": [s.first_hour * 3600 for s in spans],
                "his": [(s.last_hour + 1) * 3600 for s in spans],
            },
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
    return _roll_up_here(session, organisation_id, plant_id, spans)


def _roll_up_here(
    session: Session, organisation_id: uuid.UUID, plant_id: uuid.UUID, spans: Sequence[MeterSpan]
) -> int:
    written = 0
    for span in spans:
        lo, hi = span.first_hour * 3600, (span.last_hour + 1) * 3600
        rows = session.execute(
            select(
                col(MeterReading.start_s), col(MeterReading.end_s), col(MeterReading.value)
            ).where(
                col(MeterReading.plant_id) == plant_id,
                col(MeterReading.meter_id) == span.meter_id,
                col(MeterReading.start_s) < hi,
                col(MeterReading.end_s) > lo,
            )
        ).all()
        if not rows:
            continue
        start, end, value = (np.array(c) for c in zip(*rows, strict=True))
        series = IntervalSeries(
            (span.meter_id,),
            np.zeros(start.size, dtype=np.int64),
            start.astype(np.int64),
            end.astype(np.int64),
            value.astype(np.float64),
        )
        hours = span.last_hour - span.first_hour + 1
        matrix = hourly_matrix(series, [span.meter_id], span.first_hour, hours)[0]
        covered = np.zeros(hours, dtype=bool)
        first = np.maximum(start // 3600, span.first_hour) - span.first_hour
        last = np.minimum((end - 1) // 3600, span.last_hour) - span.first_hour
        for a, b in zip(first.tolist(), last.tolist(), strict=True):
            covered[a : b + 1] = True
        hourly = [
            {
                "organisation_id": organisation_id,
                "plant_id": plant_id,
                "meter_id": span.meter_id,
                "hour": span.first_hour + int(h),
                "value": float(matrix[h]),
            }
            for h in np.flatnonzero(covered)
        ]
        session.execute(insert(MeterHourly), hourly)
        written += len(hourly)
    return written


def hourly_series(
    session: Session, plant_id: uuid.UUID, first_hour: int, hours: int
) -> IntervalSeries:
    """The plant's hourly roll-ups in the window as an interval series of one-hour intervals."""
    rows = session.execute(
        select(col(MeterHourly.meter_id), col(MeterHourly.hour), col(MeterHourly.value)).where(
            col(MeterHourly.plant_id) == plant_id,
            col(MeterHourly.hour) >= first_hour,
            col(MeterHourly.hour) < first_hour + hours,
        )
    ).all()
    if not rows:
        none = np.zeros(0, dtype=np.int64)
        return IntervalSeries((), none, none, none.copy(), np.zeros(0))
    meter_ids = tuple(sorted({r[0] for r in rows}))
    index = {m: i for i, m in enumerate(meter_ids)}
    hour = np.array([r[1] for r in rows], dtype=np.int64)
    return IntervalSeries(
        meter_ids,
        np.array([index[r[0]] for r in rows], dtype=np.int64),
        hour * 3600,
        hour * 3600 + 3600,
        np.array([r[2] for r in rows], dtype=np.float64),
    )
