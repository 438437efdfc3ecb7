"""``cellcarbon plant …`` and ``cellcarbon example plant``: plants, readings, lots and OPC UA
history from the command line, straight into the configured database."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from app.access.keys import create_organisation
from app.core.db import session_scope
from app.core.errors import AppError
from app.core.repository import OrgRepository
from app.core.runtime import get_background, get_engine
from app.plants import ingest, service
from app.plants.example import load_spring_hill, organisation_id
from app.plants.opcua import MeterNode, OpcUaPullError, pull_readings
from app.plants.schemas import PlantCreate
from lca.plant.example import generate_month

plant_cli = typer.Typer(help="Plants: meters, readings and lots.", no_args_is_help=True)

OrganisationOption = Annotated[str, typer.Option("--organisation", help="organisation name")]
# Rows of a long CSV stored per step of the progress bar (whole meters at a time).
CHUNK_ROWS = 100_000


def _organisation(name: str) -> uuid.UUID:
    found = organisation_id(get_engine(), name)
    if found is None:
        typer.echo(f"error: no organisation '{name}' (cellcarbon org create)", err=True)
        raise typer.Exit(1)
    return found


def _fail(exc: AppError) -> typer.Exit:
    typer.echo(f"error: {exc.detail}", err=True)
    for error in exc.errors[:50]:
        typer.echo(f"  {'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
    return typer.Exit(1)


@plant_cli.command("create")
def plant_create(
    document: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    organisation: OrganisationOption,
) -> None:
    """Create a plant from a JSON document (site, grid region, time zone, lines, areas, meters)."""
    owner = _organisation(organisation)
    try:
        payload = PlantCreate.model_validate_json(document.read_text())
        with session_scope(get_engine()) as session:
            repo = OrgRepository(session, owner, "cli")
            plant_id = service.create_plant(repo, payload, get_background()).id
    except AppError as exc:
        raise _fail(exc) from None
    except ValueError as exc:  # pydantic's ValidationError
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(str(plant_id))


def _meter_chunks(text: str) -> Iterator[tuple[str, int]]:
    """A long CSV cut into pieces of whole meters (each piece with the header), so a piece
    never splits one meter's readings; wide CSV and JSON stay whole."""
    header, _, body = text.partition("\n")
    if header.split(",", 1)[0].strip() == "timestamp":
        yield text, 1
        return
    by_meter: dict[str, list[str]] = {}
    for line in body.splitlines():
        if line.strip():
            by_meter.setdefault(line.split(",", 1)[0], []).append(line)
    piece: list[str] = []
    for lines in by_meter.values():
        piece += lines
        if len(piece) >= CHUNK_ROWS:
            yield header + "\n" + "\n".join(piece) + "\n", len(piece)
            piece = []
    if piece:
        yield header + "\n" + "\n".join(piece) + "\n", len(piece)


@plant_cli.command("readings")
def plant_readings(
    plant_id: uuid.UUID,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    organisation: OrganisationOption,
    interval_s: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Upload meter readings (CSV long or wide, or JSON records) in one transaction."""
    owner = _organisation(organisation)
    content = file.read_bytes()
    stored = replaced = 0
    try:
        with session_scope(get_engine()) as session, Progress() as progress:
            repo = OrgRepository(session, owner, "cli")
            if file.suffix.lower() == ".json":
                pieces = [(content.decode(), 1)]
                kind = "json"
            else:
                pieces = list(_meter_chunks(content.decode("utf-8-sig")))
                kind = "csv"
            task = progress.add_task("readings", total=sum(n for _, n in pieces))
            for text, rows in pieces:
                answer = service.upload_readings(repo, plant_id, text.encode(), kind, interval_s)
                stored += answer.values_stored
                replaced += answer.values_replaced
                progress.advance(task, rows)
    except AppError as exc:
        raise _fail(exc) from None
    typer.echo(f"{stored} values stored, {replaced} replaced")


@plant_cli.command("lots")
def plant_lots(
    plant_id: uuid.UUID,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    organisation: OrganisationOption,
) -> None:
    """Upload production lots (CSV or JSON); each names the stored BOM of its cell model."""
    owner = _organisation(organisation)
    kind = "json" if file.suffix.lower() == ".json" else "csv"
    try:
        with session_scope(get_engine()) as session, Progress() as progress:
            task = progress.add_task("lots", total=1)
            repo = OrgRepository(session, owner, "cli")
            answer = service.upload_lots(repo, plant_id, file.read_bytes(), kind)
            progress.advance(task)
    except AppError as exc:
        raise _fail(exc) from None
    typer.echo(f"{answer.created} lots created, {answer.replaced} replaced")


@plant_cli.command("opcua")
def plant_opcua(
    plant_id: uuid.UUID,
    url: Annotated[str, typer.Option(help="opc.tcp://host:4840/path")],
    node: Annotated[
        list[str], typer.Option(help="meter=node id@unit, e.g. main_el=ns=2;s=Main/Energy@kWh")
    ],
    start: Annotated[str, typer.Option("--from", help="ISO 8601 with an offset: …T00:00:00Z")],
    end: Annotated[str, typer.Option("--to", help="as --from")],
    organisation: OrganisationOption,
    interval_s: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Pull the meters' history from an OPC UA server and store it like an upload."""
    owner = _organisation(organisation)
    period = [_aware(start, "--from"), _aware(end, "--to")]
    nodes = []
    for item in node:
        meter, _, rest = item.partition("=")
        node_id, _, unit = rest.rpartition("@")
        if not meter or not node_id or not unit:
            typer.echo(f"error: --node '{item}' is not meter=node id@unit", err=True)
            raise typer.Exit(2)
        nodes.append(MeterNode(meter, node_id, unit))
    try:
        with session_scope(get_engine()) as session:
            repo = OrgRepository(session, owner, "cli")
            row, plant = service.load_plant(repo, plant_id)
            pulled = asyncio.run(pull_readings(url, nodes, plant, *period, interval_s=interval_s))
            stored = ingest.store_series(session, owner, row.id, pulled.series)
            repo.audit("create", "meter_readings", row.id, {"opcua": len(nodes)})
    except (ValueError, OpcUaPullError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except AppError as exc:
        raise _fail(exc) from None
    skipped = sum(pulled.not_good.values())
    typer.echo(
        f"{pulled.values_read} values read, {skipped} not good; "
        f"{stored.values_stored} intervals stored, {stored.values_replaced} replaced"
    )
    typer.echo(json.dumps(service.quality_public(pulled.report).counts))


def _aware(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        typer.echo(f"error: {option} '{text}' is not an ISO 8601 time with an offset", err=True)
        raise typer.Exit(2)
    return moment


def example_plant(
    organisation: Annotated[str, typer.Option(help="created if missing")] = "Spring Hill example",
    seed: int = 2026,
) -> None:
    """Load the labelled-synthetic Spring Hill month and print each cell model's month."""
    engine = get_engine()
    owner = organisation_id(engine, organisation)
    if owner is None:
        with session_scope(engine) as session:
            owner = create_organisation(session, organisation)[0].id
        typer.echo(f"organisation '{organisation}' created; `cellcarbon org key` makes it a key")
    month = generate_month(seed)
    try:
        loaded = load_spring_hill(engine, owner, get_background(), month=month)
    except AppError as exc:
        raise _fail(exc) from None
    computed = loaded.computed
    typer.echo(f"plant {loaded.plant_id}: {month.plant.site}")
    typer.echo(f"{computed.lots} lots; labelled synthetic data, not measurements")
    for carrier, metered in computed.metered.items():
        allocated, unallocated = computed.allocated[carrier], computed.unallocated[carrier]
        typer.echo(
            f"  {carrier:12} metered {metered:14,.0f}  allocated {allocated:14,.0f}  "
            f"unallocated {unallocated:10,.0f}  (kWh or MJ)"
        )
    typer.echo(
        f"PPA matched: {computed.matched_share['market_annual']:.1%} annually, "
        f"{computed.matched_share['market_hourly']:.1%} hour by hour"
    )
    typer.echo("")
    typer.echo(
        f"{'kg CO2e per good cell':24} {'location':>9} {'mkt annual':>10} {'mkt hourly':>10}"
        f" {'idle':>6} {'static BOM':>10}"
    )
    for model, row in loaded.by_cell_model.items():
        per_cell = row.kg_co2e_per_cell
        typer.echo(
            f"{model:24} {per_cell['location']:9.3f} {per_cell['market_annual']:10.3f} "
            f"{per_cell['market_hourly']:10.3f} {row.idle_share['location']:6.1%} "
            f"{row.static_estimate_kg_co2e_per_cell['location']:10.3f}"
        )
        typer.echo(
            f"{'  of which plant energy':24} "
            f"{row.plant_energy_kg_co2e_per_cell['location']:9.3f} "
            f"{row.plant_energy_kg_co2e_per_cell['market_annual']:10.3f} "
            f"{row.plant_energy_kg_co2e_per_cell['market_hourly']:10.3f}"
        )
