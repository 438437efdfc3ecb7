"""Meter-data ingest benchmark: N meters × a year of 15-minute readings into fresh PostgreSQL.

``make bench-plant-ingest`` creates a new database, migrates it (meter_reading partitioned by
month), registers a plant with ``--meters`` electricity meters and stores a year of 15-minute
values for each through :func:`app.plants.ingest.store_series` — the path an upload takes after
parsing: delete of the overlapped span, COPY in batches, hourly roll-ups binned in memory and
COPYed beside the readings — ``--batch``
meters per transaction, so memory stays bounded whatever ``--meters`` is. Prints values/s (COPY
and roll-up apart) and the time 17.5 M values (500 meters) would take at that rate; exits 1 when
the roll-ups do not hold every stored kWh. With ``--lots N`` it then stores the two example cell
models' BOMs and N lots spread over the year on one line, and times
:func:`app.plants.footprints.compute_lot_footprints` for the year — reading the roll-ups,
pricing the cell models, allocating every hour, storing a footprint version per lot — as a
``plant.footprints`` job runs it (needs the Brightway background of the settings). The database
is dropped at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from app.access.keys import create_organisation
from app.boms.schemas import BomCreate
from app.boms.service import create_bom
from app.core.db import make_engine, session_scope
from app.core.migrate import upgrade
from app.core.repository import OrgRepository
from app.core.runtime import get_background
from app.plants import ingest
from app.plants.footprints import compute_lot_footprints
from app.plants.models import Plant, PlantLine, PlantLot, PlantMeter
from lca.catalogue import DEFAULT_DATA_DIR
from lca.plant.series import IntervalSeries

TARGET_VALUES = 17_500_000
STEP_S = 900


def _year_series(meter_ids: list[str], start_s: int, rng: np.random.Generator) -> IntervalSeries:
    slots = np.arange(start_s, start_s + 365 * 86400, STEP_S, dtype=np.int64)
    count = len(meter_ids)
    return IntervalSeries(
        tuple(meter_ids),
        np.repeat(np.arange(count, dtype=np.int64), slots.size),
        np.tile(slots, count),
        np.tile(slots + STEP_S, count),
        rng.gamma(4.0, 5.0, slots.size * count),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--batch", type=int, default=10, help="meters per transaction")
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--lots", type=int, default=0, help="then time footprints of N lots")
    args = parser.parse_args(argv)
    name = f"cellcarbon_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        return _run(url, args.meters, args.batch, args.lots)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(url: str, meters: int, batch: int, lots: int = 0) -> int:
    upgrade(url)
    engine = make_engine(url)
    meter_ids = [f"m{i:04d}" for i in range(meters)]
    with session_scope(engine) as session:
        organisation = create_organisation(session, "bench")[0].id
        plant = Plant(
            organisation_id=organisation, site="bench", grid_region="US-SRTV", time_zone="UTC"
        )
        session.add(plant)
        session.flush()
        session.add(PlantLine(organisation_id=organisation, plant_id=plant.id, line_id="L1"))
        session.add_all(
            PlantMeter(
                organisation_id=organisation,
                plant_id=plant.id,
                meter_id=m,
                carrier="electricity",
                unit="kWh",
                scope="plant",
                position=i,
                meter_key=key,
            )
            for i, (m, key) in enumerate(
                zip(meter_ids, ingest.new_meter_keys(session, meters), strict=True)
            )
        )
        plant_id = plant.id
    rng = np.random.default_rng(1)
    start_s = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    copy_s = roll_s = 0.0
    values = 0
    total_kwh = 0.0
    began = time.perf_counter()
    for lo in range(0, meters, batch):
        series = _year_series(meter_ids[lo : lo + batch], start_s, rng)
        total_kwh += float(series.value.sum())
        with session_scope(engine) as session:
            t0 = time.perf_counter()
            keys = ingest.meter_keys(session, organisation, plant_id)
            spans = ingest.spans_of(series, keys)
            _, spans = ingest.drop_overlapping(session, spans)
            edges = ingest.edge_intervals(session, spans)
            ingest.copy_intervals(session, series, keys)
            t1 = time.perf_counter()
            ingest.roll_up(session, spans, series, keys, edges)
            t2 = time.perf_counter()
        copy_s += t1 - t0
        roll_s += t2 - t1
        values += len(series)
        print(f"  {values:>11,} values  {time.perf_counter() - began:7.1f} s", flush=True)
    elapsed = time.perf_counter() - began
    with session_scope(engine) as session:
        stored = session.execute(text("SELECT count(*) FROM meter_reading")).scalar_one()
        rolled = session.execute(text("SELECT sum(value) FROM meter_hourly")).scalar_one()
        reading_mb, hourly_mb = (
            float(x)
            for x in session.execute(
                text(
                    "SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                    "WHERE inhparent = 'meter_reading'::regclass) / 1e6, "
                    "pg_total_relation_size('meter_hourly') / 1e6"
                )
            ).one()
        )
    engine.dispose()
    rate = values / elapsed
    print(f"meters {meters}, values {values:,} ({stored:,} stored), {elapsed:.1f} s")
    print(f"  COPY (with the delete of the span) {copy_s:.1f} s: {values / copy_s:,.0f} values/s")
    print(f"  hourly roll-ups (bin + COPY)       {roll_s:.1f} s: {values / roll_s:,.0f} values/s")
    print(
        f"  overall {rate:,.0f} values/s; 17.5 M values at this rate: {TARGET_VALUES / rate:.0f} s"
    )
    print(
        f"  on disk with keys: readings {reading_mb:,.0f} MB "
        f"({reading_mb * 1e6 / stored:.0f} bytes a value), roll-ups {hourly_mb:,.0f} MB"
    )
    if stored != values or abs(float(rolled) - total_kwh) > 1e-6 * total_kwh:
        print(f"FAIL: stored {stored} of {values}; roll-ups {rolled} of {total_kwh} kWh")
        return 1
    if lots:
        engine = make_engine(url)
        try:
            return _footprints(engine, organisation, plant_id, start_s, lots, total_kwh)
        finally:
            engine.dispose()
    return 0


def _footprints(
    engine: Engine,
    organisation: uuid.UUID,
    plant_id: uuid.UUID,
    start_s: int,
    lots: int,
    total_kwh: float,
) -> int:
    """Footprints of ``lots`` lots over the ingested year, timed as the job computes them."""
    background = get_background()
    with session_scope(engine) as session:
        repo = OrgRepository(session, organisation, "bench")
        boms = [
            create_bom(
                repo,
                BomCreate.model_validate_json(
                    (DEFAULT_DATA_DIR / "examples" / f"{model}.json").read_text()
                ),
                background,
            ).id
            for model in ("nmc811_pouch", "nmc622_pouch")
        ]
        span = 365 * 86400 // lots
        session.add_all(
            PlantLot(
                organisation_id=organisation,
                plant_id=plant_id,
                lot_id=f"lot-{i:05d}",
                bom_id=boms[i % 2],
                line="L1",
                start_s=start_s + i * span,
                end_s=start_s + (i + 1) * span,
                good_cells=1000,
                scrapped_cells=50,
            )
            for i in range(lots)
        )
    began = time.perf_counter()
    with session_scope(engine) as session:
        repo = OrgRepository(session, organisation, "bench")
        summary = compute_lot_footprints(repo, plant_id, start_s, start_s + 365 * 86400, background)
    elapsed = time.perf_counter() - began
    print(
        f"footprints of {summary.lots:,} lots over the year: {elapsed:.1f} s "
        f"({summary.new_versions:,} versions stored), {summary.lots / elapsed:,.0f} lots/s"
    )
    allocated = summary.allocated["electricity"] + summary.unallocated["electricity"]
    if summary.new_versions != lots or abs(allocated - total_kwh) > 1e-6 * total_kwh:
        print(f"FAIL: {summary.new_versions} versions; {allocated} of {total_kwh} kWh allocated")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
