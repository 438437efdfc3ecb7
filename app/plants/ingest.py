"""Storing meter readings: a period sent again replaces the stored one, and hourly roll-ups follow.

On PostgreSQL the rows are streamed with COPY in batches of :data:`COPY_BATCH` (memory stays
bounded whatever the upload's size); on SQLite (development, tests) they are inserted in batches.
Both follow :func:`lca.plant.series.merge`: for each meter, every stored interval that overlaps
the span the upload covers is dropped first. The hourly roll-ups of the hours an upload changes
are binned in memory from the upload itself (:func:`lca.plant.series.hourly_sums`) plus the few
stored intervals that share its first and last hour, and written beside the readings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, func, insert, select
from sqlmodel import Session, col

from app.plants.models import MeterHourly, MeterReading
from lca.plant.series import IntervalSeries, hourly_sums

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
    edges = edge_intervals(session, plant_id, spans)
    if _is_postgres(session):
        copy_intervals(session, organisation_id, plant_id, series)
    else:
        _insert_intervals(session, organisation_id, plant_id, series)
    hours = roll_up(session, organisation_id, plant_id, spans, series, edges)
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
    _copy(
        session,
        "COPY meter_reading (organisation_id, plant_id, meter_id, start_s, end_s, value) "
        "FROM STDIN (FORMAT BINARY)",
        _copy_binary(organisation_id, plant_id, series, batch),
    )


def _copy(session: Session, statement: str, chunks: Iterable[bytes]) -> None:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        copy.write(_COPY_HEADER)
        for chunk in chunks:
            copy.write(chunk)
        copy.write(_COPY_TRAILER)


# Binary COPY: signature, flags (no OIDs), header extension length; a field count of -1 ends.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _row_type(meter_bytes: int, with_end: bool) -> np.dtype[np.void]:
    """One binary COPY tuple: field count, then each field's length and big-endian value."""
    end = [("end_len", ">i4"), ("end", ">i8")] if with_end else []
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
            *end,
            ("value_len", ">i4"),
            ("value", ">f8"),
        ]
    )


def _copy_binary(
    organisation_id: uuid.UUID,
    plant_id: uuid.UUID,
    series: IntervalSeries,
    batch: int,
    with_end: bool = True,
) -> Iterable[bytes]:
    """Rows of ``series`` (organisation, plant, meter, start, [end,] value) in COPY's binary
    format; without ``end`` the start column is the roll-up's hour."""
    names = [m.encode() for m in series.meter_ids]
    org, plant = np.void(organisation_id.bytes), np.void(plant_id.bytes)
    order = np.argsort(series.meter, kind="stable")
    bounds = np.searchsorted(series.meter[order], np.arange(len(names) + 1))
    for position, name in enumerate(names):
        rows = order[bounds[position] : bounds[position + 1]]
        for lo in range(0, rows.size, batch):
            part = rows[lo : lo + batch]
            packed = np.empty(part.size, dtype=_row_type(len(name), with_end))
            packed["fields"] = 6 if with_end else 5
            packed["org_len"] = packed["plant_len"] = 16
            packed["org"], packed["plant"] = org, plant
            packed["meter_len"], packed["meter"] = len(name), name
            packed["start_len"] = packed["value_len"] = 8
            packed["start"] = series.start_s[part]
            if with_end:
                packed["end_len"] = 8
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


def edge_intervals(
    session: Session, plant_id: uuid.UUID, spans: Sequence[MeterSpan]
) -> IntervalSeries:
    """Stored intervals sharing a span's first or last hour with it, outside the span.

    Call after :func:`drop_overlapping` and before the batch is written: what is stored in a
    span's hours then lies outside the span, and can only reach into its first hour (before the
    span starts) and its last (after it ends). An upload of whole hours has no edges and reads
    nothing. Stored intervals of a meter never overlap (each upload drops the ones it overlaps),
    so before an edge at most one interval starts earlier and reaches into it: the last one.
    """
    meter_ids = tuple(span.meter_id for span in spans)
    rows: list[tuple[int, int, int, float]] = []
    for position, span in enumerate(spans):
        edges = ((span.first_hour * 3600, span.lo_s), (span.hi_s, (span.last_hour + 1) * 3600))
        for lo, hi in edges:
            if hi <= lo:
                continue
            of_meter = (
                col(MeterReading.plant_id) == plant_id,
                col(MeterReading.meter_id) == span.meter_id,
            )
            columns = (col(MeterReading.start_s), col(MeterReading.end_s), col(MeterReading.value))
            inside = session.execute(
                select(*columns).where(
                    *of_meter, col(MeterReading.start_s) >= lo, col(MeterReading.start_s) < hi
                )
            ).all()
            before = session.execute(
                select(*columns)
                .where(*of_meter, col(MeterReading.start_s) < lo)
                .order_by(col(MeterReading.start_s).desc())
                .limit(1)
            ).all()
            rows += [(position, s, e, v) for s, e, v in [*before, *inside] if e > lo]
    if not rows:
        return IntervalSeries(meter_ids, *(np.zeros(0, dtype=np.int64),) * 3, np.zeros(0))
    meter, start, end, value = (np.array(c) for c in zip(*rows, strict=True))
    return IntervalSeries(
        meter_ids,
        meter.astype(np.int64),
        start.astype(np.int64),
        end.astype(np.int64),
        value.astype(np.float64),
    )


def roll_up(
    session: Session,
    organisation_id: uuid.UUID,
    plant_id: uuid.UUID,
    spans: Sequence[MeterSpan],
    series: IntervalSeries,
    edges: IntervalSeries,
) -> int:
    """Recompute the hourly roll-ups of each span's hours from the batch ``series`` and the
    stored ``edges`` (:func:`edge_intervals`), in memory; return how many hours were written.

    The batch is binned where it is (NumPy) and its hours written beside the readings, with a
    COPY on PostgreSQL, instead of reading the readings back to sum them in SQL: that read-back
    took as long as the COPY of the readings.
    """
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
    position = {span.meter_id: i for i, span in enumerate(spans)}
    batch_meter = np.array([position[m] for m in series.meter_ids], dtype=np.int64)
    both = IntervalSeries(
        tuple(span.meter_id for span in spans),
        np.concatenate([batch_meter[series.meter], edges.meter]),
        np.concatenate([series.start_s, edges.start_s]),
        np.concatenate([series.end_s, edges.end_s]),
        np.concatenate([series.value, edges.value]),
    )
    meter, hour, value = hourly_sums(both)
    # A stored edge interval may reach beyond the span's hours, whose roll-ups stay as they are.
    first = np.array([span.first_hour for span in spans], dtype=np.int64)
    last = np.array([span.last_hour for span in spans], dtype=np.int64)
    keep = (hour >= first[meter]) & (hour <= last[meter])
    meter, hour, value = meter[keep], hour[keep], value[keep]
    if _is_postgres(session):
        _copy_hourly(session, organisation_id, plant_id, both.meter_ids, meter, hour, value)
    else:
        _insert_hourly(session, organisation_id, plant_id, both.meter_ids, meter, hour, value)
    return int(hour.size)


def _copy_hourly(
    session: Session,
    organisation_id: uuid.UUID,
    plant_id: uuid.UUID,
    meter_ids: Sequence[str],
    meter: npt.NDArray[np.int64],
    hour: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
) -> None:
    hourly = IntervalSeries(tuple(meter_ids), meter, hour, hour, value)
    _copy(
        session,
        "COPY meter_hourly (organisation_id, plant_id, meter_id, hour, value) "
        "FROM STDIN (FORMAT BINARY)",
        _copy_binary(organisation_id, plant_id, hourly, COPY_BATCH, with_end=False),
    )


def _insert_hourly(
    session: Session,
    organisation_id: uuid.UUID,
    plant_id: uuid.UUID,
    meter_ids: Sequence[str],
    meter: npt.NDArray[np.int64],
    hour: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
) -> None:
    for lo in range(0, hour.size, 20_000):
        part = slice(lo, lo + 20_000)
        rows = [
            {
                "organisation_id": organisation_id,
                "plant_id": plant_id,
                "meter_id": meter_ids[m],
                "hour": h,
                "value": v,
            }
            for m, h, v in zip(
                meter[part].tolist(), hour[part].tolist(), value[part].tolist(), strict=True
            )
        ]
        session.execute(insert(MeterHourly), rows)


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
