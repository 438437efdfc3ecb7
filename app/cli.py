"""The ``cellcarbon`` command: serve, migrate, build the background, compute a footprint."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

# Every table, so that rows written by commands resolve their foreign keys (an API key's
# supplier, a job's organisation …) whichever slice a command imports.
from app import tables as _tables  # noqa: F401
from app.backgrounds.cli import background_import
from app.core.settings import get_settings
from app.pact.cli import pact_cli, tls_cli
from app.plants.cli import example_plant, plant_cli

cli = typer.Typer(
    help="CellCarbon: carbon footprints of lithium-ion battery cells.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
background_cli = typer.Typer(help="The Brightway background database.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(background_cli, name="background")
background_cli.command("import")(background_import)
cli.add_typer(pact_cli, name="pact")
cli.add_typer(tls_cli, name="tls")
cli.add_typer(plant_cli, name="plant")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: HTTPS only (or CELLCARBON_TLS_CERT)")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="PEM private key (or CELLCARBON_TLS_KEY)")
    ] = None,
) -> None:
    """Serve the HTTP API with uvicorn; with a certificate and key, HTTPS only (PACT)."""
    import uvicorn

    settings = get_settings()
    cert, key = tls_cert or settings.tls_cert, tls_key or settings.tls_key
    if (cert is None) != (key is None):
        typer.echo("error: --tls-cert and --tls-key go together", err=True)
        raise typer.Exit(2)
    # With TLS, a plain-HTTP request on the same port fails the handshake: nothing redirects.
    tls: dict[str, Any] = (
        {"ssl_certfile": str(cert), "ssl_keyfile": str(key)} if cert and key else {}
    )
    from app.core.observability import logging_config

    if workers > 1:
        set_tcp_protocol_on_listening_socket()
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,  # the service writes its own JSON access log, with request ids
        log_config=logging_config(),  # applied in each worker process too
        timeout_graceful_shutdown=30,  # in-flight requests finish on SIGTERM
        # X-Forwarded-* are read by the app, from CELLCARBON_PACT_TRUSTED_PROXIES only: uvicorn
        # would otherwise let any loopback client claim HTTPS for the PACT API.
        proxy_headers=False,
        **tls,
    )


@cli.command()
def worker(concurrency: Annotated[int, typer.Option(min=1, max=64)] = 1) -> None:
    """Run a Celery worker for jobs (needs CELLCARBON_BROKER_URL, e.g. redis://127.0.0.1:6379/0)."""
    import app.job_kinds  # noqa: F401  (every slice's job runners)
    from app.core.observability import configure_logging
    from app.footprints.service import keep_computations
    from app.jobs.sweeper import Sweeper
    from app.jobs.workers import run_worker

    settings = get_settings()
    if not settings.broker_url:
        typer.echo("error: set CELLCARBON_BROKER_URL (e.g. redis://127.0.0.1:6379/0)", err=True)
        raise typer.Exit(2)
    configure_logging()
    keep_computations(settings.footprint_computations_kept)  # the pool's processes inherit it
    run_worker(
        settings,
        concurrency,
        on_process_start=lambda: Sweeper(get_settings(), name="celery").start(),
    )


def _register_tables() -> None:
    """Every slice's tables in the metadata: an API key's foreign keys name suppliers."""
    from app import tables  # noqa: F401

    del tables


def set_tcp_protocol_on_listening_socket() -> None:
    """Work around uvicorn's multi-worker socket losing TCP_NODELAY (uvicorn issue #3149).

    With ``--workers > 1`` uvicorn binds the socket itself with protocol 0; the workers' asyncio
    then does not recognise it as TCP and never sets TCP_NODELAY on accepted connections, so
    every response waits for the client's delayed ACK (~40 ms, measured: /health/live 0.8 ms
    with one worker, 44 ms with two). Re-wrapping the bound socket as IPPROTO_TCP fixes it.
    """
    import socket

    import uvicorn.config

    original = uvicorn.config.Config.bind_socket

    def bind_socket(self: uvicorn.config.Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]


@cli.command("worker-health")
def worker_health(timeout: float = 5.0) -> None:
    """Exit 0 if this host's Celery worker answers a ping (a container health check)."""
    import socket

    from app.jobs.workers import app_for

    settings = get_settings()
    if not settings.broker_url:
        typer.echo("error: set CELLCARBON_BROKER_URL", err=True)
        raise typer.Exit(2)
    name = f"celery@{socket.gethostname()}"
    replies = app_for(settings).control.ping(destination=[name], timeout=timeout)
    if not replies:
        typer.echo(f"{name} did not answer within {timeout:g} s", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name} ok")


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the Alembic migrations to the configured database."""
    from app.core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@background_cli.command("build")
def background_build(
    force: Annotated[
        bool, typer.Option("--force", help="rebuild even if data/ is unchanged")
    ] = False,
) -> None:
    """Build the Brightway project from data/ (skipped when data/ has not changed)."""
    from lca.build import InvalidBackgroundData, build_background

    settings = get_settings()
    try:
        build_background(
            settings.brightway_dir, settings.data_dir, force=force, progress=typer.echo
        )
    except InvalidBackgroundData as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@cli.command()
def footprint(
    bom_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    grid_region: Annotated[
        str | None, typer.Option(help="make the cell in this grid region instead")
    ] = None,
    mc: Annotated[int, typer.Option("--mc", help="Monte Carlo iterations (0: none)", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed")] = 0,
) -> None:
    """Compute the footprint of one cell of BOM_FILE locally and print it."""
    from pydantic import ValidationError

    from app.boms.schemas import BomCreate
    from lca.background import BackgroundNotBuilt, load_background
    from lca.bom import BomError, normalise_bom
    from lca.catalogue import content_hash
    from lca.footprint import compute, upstream
    from lca.montecarlo import monte_carlo
    from lca.quality import exchange_quality, rate

    settings = get_settings()
    try:
        raw = json.loads(bom_file.read_text())
        if grid_region:
            raw.setdefault("plant", {})["grid_region"] = grid_region
        payload = BomCreate.model_validate(raw).model_dump(mode="json")
        background = load_background(settings.brightway_dir)
        bom = normalise_bom(payload, background)
    except (json.JSONDecodeError, ValidationError, BomError, BackgroundNotBuilt) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if background.version != content_hash(settings.data_dir):
        typer.echo(
            f"warning: background {background.version[:12]} was built from an older data/; "
            "run `cellcarbon background build` to use the current data",
            err=True,
        )
    inputs, processes = bom.footprint_model(background)
    result = compute(background, inputs, bom.nominal_energy_kwh, processes)
    top, rest = upstream(background, inputs, top=5, processes=processes)
    rating = rate(background, exchange_quality(background, settings.data_dir), inputs, processes)
    uncertainty = (
        monte_carlo(background, inputs, iterations=mc, seed=seed, processes=processes)
        if mc
        else None
    )
    if as_json:
        output = asdict(result)
        output["upstream"] = [asdict(u) for u in top]
        output["upstream_rest_kg_co2e"] = rest
        output["monte_carlo"] = asdict(uncertainty) if uncertainty else None
        output["data_quality_rating"] = asdict(rating)
        typer.echo(json.dumps(output, indent=2))
        return
    typer.echo(f"{bom.name} — plant {bom.plant_name} ({bom.grid_region})")
    typer.echo(
        f"background {result.background_name} {result.background_version[:12]}, {result.method}"
    )
    typer.echo(f"{'line':48} {'amount':>14}  {'kg CO2e':>10} {'share':>7}")
    for line in sorted(result.lines, key=lambda line: -line.kg_co2e):
        amount = f"{line.amount:.4g} {line.unit}"
        typer.echo(f"{line.label[:48]:48} {amount:>14}  {line.kg_co2e:10.4f} {line.share:7.1%}")
    typer.echo("")
    for component, value in sorted(result.by_component.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {component:30} {value:10.4f} kg CO2e  {value / result.kg_co2e:6.1%}")
    typer.echo("")
    typer.echo("largest upstream activities (own emissions):")
    for item in top:
        typer.echo(f"  {item.code:34} {item.kg_co2e:10.4f} kg CO2e  {item.share:6.1%}")
    typer.echo("")
    typer.echo(f"total              {result.kg_co2e:.4f} kg CO2e per cell")
    if uncertainty:
        p = uncertainty.percentiles
        typer.echo(
            f"Monte Carlo        mean {uncertainty.mean:.4f}, sd {uncertainty.sd:.4f}, "
            f"95 % interval {p['p2.5']:.4f}–{p['p97.5']:.4f} "
            f"(N={uncertainty.iterations}, seed {uncertainty.seed})"
        )
    typer.echo(f"data quality       PEF DQR {rating.dqr:.2f} ({rating.level}), by contribution")
    typer.echo(f"nominal energy     {result.nominal_energy_kwh * 1000:.1f} Wh")
    typer.echo(f"per kWh            {result.kg_co2e_per_kwh:.2f} kg CO2e/kWh")


@cli.command()
def batch(
    base: Annotated[str, typer.Argument(help="a stored BOM's id, or a BOM JSON file")],
    variants_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="variants CSV")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="results CSV")] = Path(
        "results.csv"
    ),
    api_key: Annotated[
        str, typer.Option(envvar="CELLCARBON_API_KEY", help="a write key of your organisation")
    ] = "",
    url: Annotated[
        str | None,
        typer.Option(help="the service's base URL; without it, the app runs in this process"),
    ] = None,
    top: Annotated[int, typer.Option(min=0, max=20, help="contributors per variant")] = 5,
) -> None:
    """Price every variant of a CSV (key, grid_region, substitutions as old=new;…, suppliers,
    recycled_Ni/Co/Li) against one base BOM with POST /v1/footprints/batch; write a CSV."""
    import uuid

    import httpx

    from app.batches.variants_csv import (
        VariantsFileError,
        ndjson_lines,
        read_variants,
        write_results,
    )

    if not api_key:
        typer.echo("error: give --api-key (or set CELLCARBON_API_KEY)", err=True)
        raise typer.Exit(2)
    try:
        variants = read_variants(variants_file.read_text(encoding="utf-8-sig"))
    except VariantsFileError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {variants_file}: {problem}", err=True)
        raise typer.Exit(1) from None
    body: dict[str, object] = {"variants": variants, "top": top}
    try:
        body["bom_id"] = str(uuid.UUID(base))
    except ValueError:
        path = Path(base)
        if not path.is_file():
            typer.echo(f"error: '{base}' is neither a BOM id nor a BOM file", err=True)
            raise typer.Exit(2) from None
        body["bom"] = json.loads(path.read_text())
    headers = {"Authorization": f"Bearer {api_key}"}
    if url is None:
        from fastapi.testclient import TestClient

        from app.main import create_app

        # The whole app in this process (auth, audit and all), without a server.
        client: Any = TestClient(create_app(), headers=headers)
    else:
        client = httpx.Client(base_url=url, headers=headers, timeout=600)
    problems = 0
    with client, output.open("w", newline="", encoding="utf-8") as out:
        with client.stream("POST", "/v1/footprints/batch", json=body) as response:
            if response.status_code != 200:
                answer = response.read().decode(errors="replace")
                typer.echo(f"error: {response.status_code}: {answer[:4000]}", err=True)
                raise typer.Exit(1)
            with typer.progressbar(
                length=len(variants), label="pricing", file=sys.stderr
            ) as progress:
                for line in write_results(ndjson_lines(response.iter_bytes()), out):
                    problems += "problem" in line
                    progress.update(1)
    typer.echo(
        f"{len(variants) - problems} variants priced, {problems} with problems: {output}",
        err=True,
    )
    if problems:
        raise typer.Exit(3)


example_cli = typer.Typer(help="Load the examples into a running service.", no_args_is_help=True)
cli.add_typer(example_cli, name="example")
example_cli.command("plant")(example_plant)


@example_cli.command("supply-chain")
def example_supply_chain(
    api_key: Annotated[
        str, typer.Option(envvar="CELLCARBON_API_KEY", help="a write key of your organisation")
    ],
    url: str = "http://127.0.0.1:8000",
    example: Path = Path("data/examples/suppliers/nmc811_supply_chain.json"),
    bom_file: Path = Path("data/examples/nmc811_pouch.json"),
) -> None:
    """Post the example suppliers and the BOM with and without them; compare the footprints."""
    import httpx

    from app.example_loader import ExampleError, bom_with_suppliers, footprint_of, post_supply_chain

    chain = json.loads(example.read_text())
    bom = json.loads(bom_file.read_text())
    try:
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
            without = footprint_of(client, bom)
            ids = post_supply_chain(client, chain)
            with_data = footprint_of(client, bom_with_suppliers(bom, chain, ids))
    except (ExampleError, httpx.HTTPError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{'':34} {'location-based':>16} {'market-based':>14} {'primary share':>14}")
    for label, footprint in (("background data only", without), ("with supplier data", with_data)):
        typer.echo(
            f"{label:34} {footprint['kg_co2e_per_kwh']:13.2f} /kWh "
            f"{footprint['kg_co2e_per_kwh_market_based']:9.2f} /kWh "
            f"{footprint['primary_data_share']:13.1%}"
        )
    typer.echo(f"footprints: {without['id']} (without), {with_data['id']} (with)")


org_cli = typer.Typer(help="Organisations and their API keys.", no_args_is_help=True)
cli.add_typer(org_cli, name="org")


@org_cli.command("create")
def org_create(name: str) -> None:
    """Create an organisation and print its first admin API key (shown once)."""
    from app.access.keys import create_organisation
    from app.core.db import session_scope
    from app.core.errors import AppError
    from app.core.runtime import get_engine

    try:
        _register_tables()
        with session_scope(get_engine()) as session:
            organisation, _, token = create_organisation(session, name)
            organisation_id = organisation.id
    except AppError as exc:
        typer.echo(f"error: {exc.detail}: {exc.errors[0]['msg'] if exc.errors else ''}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"organisation {name} ({organisation_id})")
    typer.echo(f"admin API key (shown once): {token}")


@org_cli.command("key")
def org_key(
    name: str,
    key_name: Annotated[str, typer.Option("--name", help="a label for the key")] = "cli key",
    scopes: Annotated[str, typer.Option(help="comma-separated: read, write, admin")] = "read",
    expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Create another API key for organisation NAME and print it (shown once)."""
    from sqlmodel import select

    from app.access.keys import create_key, expiry
    from app.access.models import Organisation
    from app.core.audit import CLI_ACTOR, record
    from app.core.db import session_scope
    from app.core.errors import AppError
    from app.core.runtime import get_engine

    try:
        _register_tables()
        with session_scope(get_engine()) as session:
            organisation = session.exec(
                select(Organisation).where(Organisation.name == name)
            ).first()
            if organisation is None:
                typer.echo(f"error: no organisation named {name}", err=True)
                raise typer.Exit(1)
            key, token = create_key(
                session,
                organisation.id,
                key_name,
                [s.strip() for s in scopes.split(",") if s.strip()],
                expires_at=expiry(expires_in_days),
            )
            record(
                session,
                organisation.id,
                CLI_ACTOR,
                "create",
                "api_key",
                key.id,
                {"name": key.name, "scopes": key.scopes},
            )
    except AppError as exc:
        typer.echo(f"error: {exc.errors[0]['msg'] if exc.errors else exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)


@cli.command()
def bundle(
    footprint_id: str,
    output: Annotated[Path, typer.Option("--output", "-o", help="the zip to write")],
) -> None:
    """Write the verification bundle of a stored footprint (any organisation's) to a zip."""
    import uuid

    from app.bundles.service import footprint_bundle
    from app.core.db import session_scope
    from app.core.errors import AppError
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine
    from app.footprints.models import Footprint

    settings = get_settings()
    try:
        wanted = uuid.UUID(footprint_id)
    except ValueError:
        typer.echo(f"error: {footprint_id!r} is not a footprint id (a UUID)", err=True)
        raise typer.Exit(2) from None
    try:
        with session_scope(get_engine(settings)) as session:
            stored = session.get(Footprint, wanted)
            if stored is None:
                typer.echo(f"error: no footprint {footprint_id}", err=True)
                raise typer.Exit(1)
            repo = OrgRepository(session, stored.organisation_id, "cli")
            data = footprint_bundle(repo, wanted, get_background(settings), settings.data_dir)
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    output.write_bytes(data)
    typer.echo(f"{output}: {len(data)} bytes; unzip it and run recompute.py (see its README.md)")


@cli.command()
def verify(
    file: Annotated[
        Path, typer.Argument(help="a compact JWS, or the signed file with --signature")
    ],
    signature: Annotated[
        Path | None, typer.Option(help="a detached JWS of FILE (e.g. from …/signature)")
    ] = None,
    jwks: Annotated[
        str | None,
        typer.Option(
            help="JWK Set: a URL (…/.well-known/jwks.json) or a file; default: the "
            "keys in this server's database"
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the signed content here")
    ] = None,
) -> None:
    """Check a signed output: signature, key and content; say who signed it and what it is."""
    from app.signing.cli import load_jwks, verify_file

    try:
        keys = load_jwks(jwks, get_settings())
        verified, holder = verify_file(file, signature, keys)
    except ValueError as exc:
        typer.echo(f"invalid: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"valid: signed by organisation {holder} with key {verified.kid}")
    typer.echo(f"content type: {verified.content_type}")
    if output is not None:
        output.write_bytes(verified.content)
        typer.echo(f"content written to {output} ({len(verified.content)} bytes)")


def main() -> None:
    cli(prog_name="cellcarbon")


if __name__ == "__main__":
    main()
