"""``cellcarbon pact …`` (clients, shares, pulling from a supplier) and ``cellcarbon tls``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

pact_cli = typer.Typer(help="PACT v3 data exchange.", no_args_is_help=True)
pact_client_cli = typer.Typer(help="OAuth2 clients of customers.", no_args_is_help=True)
pact_cli.add_typer(pact_client_cli, name="client")
tls_cli = typer.Typer(help="TLS certificates.", no_args_is_help=True)


def _owner(session, name: str):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from app.access.models import Organisation

    owner = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if owner is None:
        typer.echo(f"error: no organisation named {name}", err=True)
        raise typer.Exit(1)
    return owner


@pact_client_cli.command("create")
def client_create(
    name: Annotated[str, typer.Option(help="the customer organisation")],
    organisation: Annotated[str, typer.Option(help="the data owner (an organisation name)")],
) -> None:
    """Create client credentials for customer NAME; prints the id and secret (shown once)."""
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.pact.auth import create_client

    with session_scope(get_engine()) as session:
        client, secret = create_client(session, _owner(session, organisation), name)
        client_id = client.id
    typer.echo(f"client_id: {client_id}")
    typer.echo(f"client_secret (shown once): {secret}")


@pact_cli.command("share")
def share(
    client: Annotated[uuid.UUID, typer.Option(help="the PACT client id")],
    footprint: Annotated[uuid.UUID, typer.Option(help="a footprint of the client's data owner")],
) -> None:
    """Publish a stored footprint to a client (it appears in its /3/footprints)."""
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.pact.service import share as share_footprint

    try:
        with session_scope(get_engine()) as session:
            share_footprint(session, client, footprint)
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"footprint {footprint} shared with client {client}")


@pact_cli.command("pull")
def pull(
    base_url: Annotated[str, typer.Option(help="the supplier's PACT host, https://…")],
    client_id: Annotated[str, typer.Option(help="credentials the supplier issued to us")],
    client_secret: Annotated[
        str, typer.Option(envvar="CELLCARBON_PACT_CLIENT_SECRET", help="or set the env var")
    ],
    organisation: Annotated[str, typer.Option(help="our organisation (an organisation name)")],
    supplier: Annotated[uuid.UUID, typer.Option(help="our supplier record for that host")],
    material: Annotated[str, typer.Option(help="the catalogue material the footprint is for")],
    product_id: Annotated[str | None, typer.Option(help="productId URN to look for")] = None,
    footprint_id: Annotated[str | None, typer.Option(help="a footprint id to get")] = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="CA bundle trusted for the host")] = None,
) -> None:
    """Pull a supplier's Active footprint over PACT and import it as the supplier's PCF."""
    from app.core.db import session_scope
    from app.core.errors import AppError
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine
    from app.core.settings import get_settings
    from app.pact.client import (
        PactClientError,
        PactConnection,
        PactHost,
        import_footprint,
        trust,
    )

    settings = get_settings()
    bundle = ca_bundle or settings.pact_ca_bundle
    host = PactHost(
        base_url,
        client_id,
        client_secret,
        verify=trust(str(bundle) if bundle else None),
        timeout_s=settings.pact_http_timeout_s,
    )
    try:
        with PactConnection(host) as connection:
            document: dict[str, Any] | None
            if footprint_id:
                document = connection.footprint(footprint_id)
            else:
                filters: dict[str, list[str] | str] = {"status": "Active"}
                if product_id:
                    filters["productId"] = [product_id]
                document = next(iter(connection.footprints(**filters)), None)
        if document is None:
            typer.echo("error: the host shares no matching Active footprint with us", err=True)
            raise typer.Exit(1)
        with session_scope(get_engine()) as session:
            repo = OrgRepository(session, _owner(session, organisation).id, "pact pull")
            record = import_footprint(repo, supplier, material, document, get_background())
            output = {
                "id": str(record.id),
                "pact_id": record.pact_id,
                "material": record.product,
                "kg_co2e_per_kg": record.kg_co2e_per_kg,
            }
    except PactClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except AppError as exc:
        typer.echo(f"error: {exc.detail}: {json.dumps(exc.errors)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(output))


@tls_cli.command("selfsigned")
def tls_selfsigned(
    directory: Annotated[Path, typer.Argument(help="where cert.pem and key.pem go")],
    host: Annotated[list[str] | None, typer.Option(help="SAN (repeatable)")] = None,
    days: Annotated[int, typer.Option(min=1)] = 365,
) -> None:
    """Write a self-signed certificate and key for local HTTPS (not for production)."""
    from app.pact.tls import self_signed

    cert, key = self_signed(directory, host or ["localhost", "127.0.0.1"], days)
    typer.echo(f"certificate {cert}\nkey {key}")
