"""Storing meter readings: a period sent again replaces the stored one, and hourly roll-ups follow.

On PostgreSQL the rows are streamed with COPY in batches of :data:`COPY_BATCH` (memory stays
bounded whatever the upload's size); on SQLite (development, tests) they are inserted in batches.
Both follow :func:`lca.plant.series.merge`: for each meter, every stored interval that overlaps
the span the upload covers is dropped first. The hourly roll-ups of the hours an upload changes
are binned in memory from the upload itself (:func:`lca.plant.series.hourly_sums`) plus the few
stored intervals that share its first and last hour, and written beside the readings.

Readings and roll-ups name a meter by its integer ``meter_key`` (``plant_meter``): a reading row
is a 4-byte key, two times and a value, which PostgreSQL writes and indexes much faster than the
organisation, plant and meter text it replaced. Stored intervals of one meter never overlap
(every upload drops those it overlaps), so the intervals overlapping a span are the ones that
start inside it plus at most one that starts before it — index ranges, whatever the history.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session, col

from app.plants.models import MeterHourly, MeterReading, PlantMeter
from lca.plant.buckets import Contribution, merged_series
from lca.plant.model import Plant
from lca.plant.series import IntervalSeries, hourly_sums

COPY_BATCH = 200_000
# PostgreSQL hands out meter keys from this sequence (created by the migration).
METER_KEY_SEQUENCE = "plant_meter_key_seq"


@dataclass(frozen=True)
class MeterSpan:
    """The span an upload covers for one meter, and the hours whose roll-up it changes."""

    meter_key: int
    lo_s: int
    hi_s: int
    first_hour: int = 0
    last_hour: int = -1  # inclusive


@dataclass(frozen=True)
class Stored:
    values_stored: int
    values_replaced: int
    hours_rolled_up: int


def new_meter_keys(session: Session, count: int) -> list[int]:
    """``count`` unused meter keys: from a sequence on PostgreSQL (safe under concurrent
    plants); on SQLite, whose writers take turns, after the largest stored key."""
    if count <= 0:
        return []
    if _is_postgres(session):
        rows = session.execute(
            text(f"SELECT nextval('{METER_KEY_SEQUENCE}') FROM generate_series(1, :n)"),
            {"n": count},
        ).all()
        return [int(r[0]) for r in rows]
    largest = session.execute(select(func.max(PlantMeter.meter_key))).scalar_one()
    return list(range((largest or 0) + 1, (largest or 0) + 1 + count))


def meter_keys(session: Session, organisation_id: uuid.UUID, plant_id: uuid.UUID) -> dict[str, int]:
    """The plant's meter ids and their keys."""
    rows = session.execute(
        select(col(PlantMeter.meter_id), col(PlantMeter.meter_key)).where(
            col(PlantMeter.organisation_id) == organisation_id,
            col(PlantMeter.plant_id) == plant_id,
        )
    ).all()
    return {meter_id: int(key) for meter_id, key in rows}


def _keys_of(series: IntervalSeries, keys: Mapping[str, int]) -> npt.NDArray[np.int64]:
    """The key of each of the series' meters (in ``series.meter_ids`` order)."""
    return np.array([keys[m] for m in series.meter_ids], dtype=np.int64)


def spans_of(series: IntervalSeries, keys: Mapping[str, int]) -> list[MeterSpan]:
    spans = []
    for position, meter_id in enumerate(series.meter_ids):
        rows = series.meter == position
        if rows.any():
            lo, hi = int(series.start_s[rows].min()), int(series.end_s[rows].max())
            spans.append(MeterSpan(keys[meter_id], lo, hi))
    return spans


def store_series(
    session: Session, organisation_id: uuid.UUID, plant_id: uuid.UUID, series: IntervalSeries
) -> Stored:
    """Replace the spans ``series`` covers with its intervals and roll the hours up again."""
    keys = meter_keys(session, organisation_id, plant_id)
    spans = spans_of(series, keys)
    replaced, spans = drop_overlapping(session, spans)
    edges = edge_intervals(session, spans)
    if _is_postgres(session):
        copy_intervals(session, series, keys)
    else:
        _insert_intervals(session, series, keys)
    hours = roll_up(session, spans, series, keys, edges)
    return Stored(len(series), replaced, hours)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _starting_from(session: Session, meter_key: int, lo_s: int) -> int:
    """The start of the first stored interval of the meter that ends after ``lo_s``, if it
    starts before ``lo_s``; else ``lo_s``."""
    before = session.execute(
        select(col(MeterReading.start_s), col(MeterReading.end_s))
        .where(col(MeterReading.meter_key) == meter_key, col(MeterReading.start_s) < lo_s)
        .order_by(col(MeterReading.start_s).desc())
        .limit(1)
    ).first()
    return int(before[0]) if before is not None and before[1] > lo_s else lo_s


def drop_overlapping(session: Session, spans: Sequence[MeterSpan]) -> tuple[int, list[MeterSpan]]:
    """Delete stored intervals overlapping each span; widen the roll-up hours to cover them."""
    replaced = 0
    widened = []
    for span in spans:
        overlapping = (
            col(MeterReading.meter_key) == span.meter_key,
            col(MeterReading.start_s) >= _starting_from(session, span.meter_key, span.lo_s),
            col(MeterReading.start_s) < span.hi_s,
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
            MeterSpan(span.meter_key, span.lo_s, span.hi_s, lo_s // 3600, (hi_s - 1) // 3600)
        )
    return replaced, widened


def copy_intervals(
    session: Session,
    series: IntervalSeries,
    keys: Mapping[str, int],
    batch: int = COPY_BATCH,
) -> None:
    """Stream ``series`` into meter_reading with a binary COPY, ``batch`` rows per write.

    NumPy packs the rows into PostgreSQL's binary COPY format: no text to format in Python and
    none to parse in the server (the text format spent a fifth of the ingest formatting rows).
    """
    _copy(
        session,
        "COPY meter_reading (meter_key, start_s, end_s, value) FROM STDIN (FORMAT BINARY)",
        _copy_binary(
            _keys_of(series, keys)[series.meter],
            series.start_s,
            series.end_s,
            series.value,
            batch,
        ),
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


def _row_type(with_end: bool) -> np.dtype[np.void]:
    """One binary COPY tuple: field count, then each field's length and big-endian value."""
    end = [("end_len", ">i4"), ("end", ">i8")] if with_end else []
    return np.dtype(
        [
            ("fields", ">i2"),
            ("key_len", ">i4"),
            ("key", ">i4"),
            ("start_len", ">i4"),
            ("start", ">i8"),
            *end,
            ("value_len", ">i4"),
            ("value", ">f8"),
        ]
    )


def _copy_binary(
    key: npt.NDArray[np.int64],
    start: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64] | None,
    value: npt.NDArray[np.float64],
    batch: int,
) -> Iterable[bytes]:
    """Rows (meter key, start, [end,] value) in COPY's binary format, ``batch`` at a time;
    without ``end`` the start column is a roll-up's hour."""
    row_type = _row_type(end is not None)
    for lo in range(0, key.size, batch):
        part = slice(lo, lo + batch)
        packed = np.empty(key[part].size, dtype=row_type)
        packed["fields"] = 3 if end is None else 4
        packed["key_len"] = 4
        packed["key"] = key[part]
        packed["start_len"] = packed["value_len"] = 8
        packed["start"] = start[part]
        if end is not None:
            packed["end_len"] = 8
            packed["end"] = end[part]
        packed["value"] = value[part]
        yield packed.tobytes()


def _insert_intervals(session: Session, series: IntervalSeries, keys: Mapping[str, int]) -> None:
    row_keys = _keys_of(series, keys)[series.meter]
    for lo in range(0, len(series), 20_000):
        part = slice(lo, lo + 20_000)
        rows = [
            {"meter_key": k, "start_s": s, "end_s": e, "value": v}
            for k, s, e, v in zip(
                row_keys[part].tolist(),
                series.start_s[part].tolist(),
                series.end_s[part].tolist(),
                series.value[part].tolist(),
                strict=True,
            )
        ]
        session.execute(insert(MeterReading), rows)


def edge_intervals(session: Session, spans: Sequence[MeterSpan]) -> IntervalSeries:
    """Stored intervals sharing a span's first or last hour with it, outside the span; their
    meter index is the span's position.

    Call after :func:`drop_overlapping` and before the batch is written: what is stored in a
    span's hours then lies outside the span, and can only reach into its first hour (before the
    span starts) and its last (after it ends). An upload of whole hours has no edges and reads
    nothing.
    """
    meter_ids = tuple(str(span.meter_key) for span in spans)
    rows: list[tuple[int, int, int, float]] = []
    columns = (col(MeterReading.start_s), col(MeterReading.end_s), col(MeterReading.value))
    for position, span in enumerate(spans):
        edges = ((span.first_hour * 3600, span.lo_s), (span.hi_s, (span.last_hour + 1) * 3600))
        for lo, hi in edges:
            if hi <= lo:
                continue
            found = session.execute(
                select(*columns).where(
                    col(MeterReading.meter_key) == span.meter_key,
                    col(MeterReading.start_s) >= _starting_from(session, span.meter_key, lo),
                    col(MeterReading.start_s) < hi,
                )
            ).all()
            rows += [(position, s, e, v) for s, e, v in found]
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
    spans: Sequence[MeterSpan],
    series: IntervalSeries,
    keys: Mapping[str, int],
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
                col(MeterHourly.meter_key) == span.meter_key,
                col(MeterHourly.hour).between(span.first_hour, span.last_hour),
            )
        )
    position = {span.meter_key: i for i, span in enumerate(spans)}
    batch_meter = np.array([position[k] for k in _keys_of(series, keys).tolist()], dtype=np.int64)
    both = IntervalSeries(
        edges.meter_ids,
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
    key = np.array([span.meter_key for span in spans], dtype=np.int64)[meter[keep]]
    hour, value = hour[keep], value[keep]
    if _is_postgres(session):
        _copy(
            session,
            "COPY meter_hourly (meter_key, hour, value) FROM STDIN (FORMAT BINARY)",
            _copy_binary(key, hour, None, value, COPY_BATCH),
        )
    else:
        for lo in range(0, hour.size, 20_000):
            part = slice(lo, lo + 20_000)
            session.execute(
                insert(MeterHourly),
                [
                    {"meter_key": k, "hour": h, "value": v}
                    for k, h, v in zip(
                        key[part].tolist(), hour[part].tolist(), value[part].tolist(), strict=True
                    )
                ],
            )
    return int(hour.size)


def hourly_series(
    session: Session, plant_id: uuid.UUID, first_hour: int, hours: int
) -> IntervalSeries:
    """The plant's hourly roll-ups in the window as an interval series of one-hour intervals."""
    names = {
        int(key): meter_id
        for meter_id, key in session.execute(
            select(col(PlantMeter.meter_id), col(PlantMeter.meter_key)).where(
                col(PlantMeter.plant_id) == plant_id
            )
        ).all()
    }
    if _is_postgres(session):
        key, hour, value = _packed_hourly(session, sorted(names), first_hour, hours)
    else:
        rows = session.execute(
            select(col(MeterHourly.meter_key), col(MeterHourly.hour), col(MeterHourly.value)).where(
                col(MeterHourly.meter_key).in_(sorted(names)),
                col(MeterHourly.hour) >= first_hour,
                col(MeterHourly.hour) < first_hour + hours,
            )
        ).all()
        key = np.array([r[0] for r in rows], dtype=np.int64)
        hour = np.array([r[1] for r in rows], dtype=np.int64)
        value = np.array([r[2] for r in rows], dtype=np.float64)
    present = np.unique(key)
    meter_ids = tuple(sorted(names[int(k)] for k in present))
    position = {m: i for i, m in enumerate(meter_ids)}
    lookup = np.array([position[names[int(k)]] for k in present], dtype=np.int64)
    meter = lookup[np.searchsorted(present, key)] if key.size else key
    return IntervalSeries(meter_ids, meter, hour * 3600, hour * 3600 + 3600, value)


# One roll-up as the server packs it: (meter_key int4, hour int8, value float8), big-endian.
_HOURLY_ROW = np.dtype([("key", ">i4"), ("hour", ">i8"), ("value", ">f8")])
_HOURLY_PACKED = text(
    "SELECT string_agg(int4send(meter_key) || int8send(hour) || float8send(value), ''::bytea) "
    "FROM meter_hourly WHERE meter_key = ANY(:keys) AND hour >= :lo AND hour < :hi"
)


def _packed_hourly(
    session: Session, keys: Sequence[int], first_hour: int, hours: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The window's roll-ups of ``keys`` as arrays: PostgreSQL packs them into one bytea that
    NumPy reads in place. A year of 500 meters is 4.4 M rows (88 MB packed; a bytea holds up to
    1 GB, 50 M roll-ups): 4.2-5.5 s this way against 7.9-8.6 s fetched as tuples at load
    average 7, and a binary COPY out came as one message per row, slower still."""
    packed = session.execute(
        _HOURLY_PACKED, {"keys": list(keys), "lo": first_hour, "hi": first_hour + hours}
    ).scalar_one()
    rows = np.frombuffer(bytes(packed or b""), dtype=_HOURLY_ROW)
    return (
        rows["key"].astype(np.int64),
        rows["hour"].astype(np.int64),
        rows["value"].astype(np.float64),
    )


def bucket_series(
    session: Session,
    plant_id: uuid.UUID,
    merged: Plant,
    parts: Sequence[Contribution],
    first_hour: int,
    hours: int,
) -> IntervalSeries:
    """The window's hourly energy of each merged bucket (:func:`lca.plant.buckets.merged_plant`).
    PostgreSQL sums the roll-ups per bucket and hour itself, so a year of 500 meters on one line
    sends 8,760 sums, not 4.4 M roll-ups; SQLite's roll-ups are merged in NumPy."""
    if not _is_postgres(session):
        return merged_series(hourly_series(session, plant_id, first_hour, hours), merged, parts)
    keys = {
        meter_id: int(key)
        for meter_id, key in session.execute(
            select(col(PlantMeter.meter_id), col(PlantMeter.meter_key)).where(
                col(PlantMeter.plant_id) == plant_id
            )
        ).all()
    }
    known = [p for p in parts if p.meter_id in keys]
    packed = session.execute(
        _BUCKET_PACKED,
        {
            "keys": [keys[p.meter_id] for p in known],
            "buckets": [p.bucket for p in known],
            "signs": [p.sign for p in known],
            "lo": first_hour,
            "hi": first_hour + hours,
        },
    ).scalar_one()
    rows = np.frombuffer(bytes(packed or b""), dtype=_HOURLY_ROW)
    hour = rows["hour"].astype(np.int64)
    return IntervalSeries(
        tuple(m.meter_id for m in merged.meters),
        rows["key"].astype(np.int64),
        hour * 3600,
        hour * 3600 + 3600,
        rows["value"].astype(np.float64),
    )


# Per bucket and hour, the sum of its meters' roll-ups times their sign, packed like
# _HOURLY_PACKED (the bucket index in place of the meter key).
_BUCKET_PACKED = text(
    "SELECT string_agg(int4send(bucket) || int8send(hour) || float8send(value), ''::bytea) "
    "FROM (SELECT c.bucket, h.hour, sum(h.value * c.sign) AS value FROM meter_hourly h "
    "JOIN unnest(CAST(:keys AS int4[]), CAST(:buckets AS int4[]), CAST(:signs AS float8[])) "
    "AS c(meter_key, bucket, sign) ON h.meter_key = c.meter_key "
    "WHERE h.hour >= :lo AND h.hour < :hi GROUP BY c.bucket, h.hour) AS b"
)
