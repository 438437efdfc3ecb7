"""``cellcarbon background import``: import a background for an organisation from the command
line, with a progress bar, straight into the configured database and backgrounds directory."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import col, select

from app.access.models import Organisation
from app.backgrounds.service import register
from app.core.db import session_scope
from app.core.repository import OrgRepository
from app.core.runtime import get_engine
from app.core.settings import get_settings
from lca.imports.pipeline import ImportOptions, import_background
from lca.imports.report import ImportFailed


def _organisation(name: str) -> uuid.UUID:
    with session_scope(get_engine()) as session:
        found = session.exec(select(Organisation).where(col(Organisation.name) == name)).first()
        if found is None:
            typer.echo(f"error: no organisation '{name}' (cellcarbon org create)", err=True)
            raise typer.Exit(1)
        return found.id


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def background_import(
    path: Annotated[Path, typer.Argument(exists=True, help="release folder, archive or CSV")],
    name: Annotated[str, typer.Option("--name", help="the background's name", max=200)],
    organisation: Annotated[str, typer.Option("--org", "--organisation", help="organisation name")],
    allow_unlinked: Annotated[
        bool,
        typer.Option(help="drop inputs that link to nothing (listed as warnings), as bw2io does"),
    ] = False,
) -> None:
    """Import an ecospold2 release, openLCA JSON-LD zip, SimaPro CSV export or data/ folder
    as a background of the organisation; every problem is listed and nothing is registered
    when the import fails."""
    owner = _organisation(organisation)
    settings = get_settings()
    columns = (
        TextColumn("{task.description:<40}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns) as progress:
            task = progress.add_task("starting", total=1.0)
            result = import_background(
                path,
                settings.backgrounds_root,
                name=name,
                data_dir=settings.data_dir,
                options=ImportOptions(allow_unlinked=allow_unlinked),
                progress=lambda f, stage: progress.update(task, completed=f, description=stage),
            )
    except ImportFailed as failed:
        typer.echo(str(failed), err=True)
        raise typer.Exit(1) from None
    with session_scope(get_engine()) as session:
        row = register(OrgRepository(session, owner, "cli"), result.descriptor, _size(path))
        background_id = row.id
    descriptor = result.descriptor
    for warning in result.report.warnings[:20]:
        typer.echo(f"warning: {warning.kind} at {warning.location}: {warning.detail}", err=True)
    typer.echo(
        f"{descriptor.activities} activities, {descriptor.exchanges} exchanges, "
        f"{descriptor.coverage.characterised_flows} characterised flows; "
        f"version {descriptor.version[:12]}{' (imported before)' if result.reused else ''}"
    )
    typer.echo(f"background id {background_id}")
