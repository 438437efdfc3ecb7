"""Deleting an imported background: refused while stored footprints were computed on it (they
must stay reproducible); otherwise the registry row goes with the request's transaction, and
its files and resident engine once that has committed, unless another organisation registered
the same version (the Brightway directory is shared by version)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.backgrounds.engines import discard
from app.backgrounds.methods import forget_views
from app.backgrounds.models import ImportedBackground
from app.core.db import call_after_commit
from app.core.errors import AppError, NotFound
from app.core.repository import OrgRepository
from app.core.runtime import get_engine
from app.core.settings import Settings
from app.footprints.models import Footprint


class BackgroundInUse(AppError):
    """Stored footprints were computed on the background: it cannot be deleted."""

    status = 409
    title = "Conflict"


def delete_background(repo: OrgRepository, row: ImportedBackground, settings: Settings) -> None:
    """Delete ``row`` (audited) or raise :class:`BackgroundInUse` naming how many footprints
    reference it."""
    session = repo.session
    # Locks the row on PostgreSQL: a footprint inserted meanwhile waits for this transaction.
    session.exec(
        select(ImportedBackground.id).where(col(ImportedBackground.id) == row.id).with_for_update()
    ).first()
    used = session.exec(
        select(func.count()).select_from(Footprint).where(col(Footprint.background_id) == row.id)
    ).one()
    if used:
        raise BackgroundInUse(
            f"background {row.name} cannot be deleted: {used} stored footprint"
            f"{'s were' if used != 1 else ' was'} computed on it and must stay reproducible",
            [
                {
                    "loc": ["path", "background_id"],
                    "msg": f"referenced by {used} footprint{'s' if used != 1 else ''}",
                    "type": "conflict",
                }
            ],
        )
    version = row.version
    session.delete(row)
    stated = {"name": row.name, "version": version, "source_format": row.source_format}
    repo.audit("delete", "background", row.id, stated, **stated)
    call_after_commit(session, lambda: _remove_files(settings, version))


def hold(repo: OrgRepository, row: ImportedBackground) -> None:
    """Keep ``row`` from being deleted until this transaction ends (a footprint about to be
    stored on it): a share lock on PostgreSQL, so a concurrent DELETE waits and then counts
    the footprint (409), or, if the DELETE came first, this answers 404 once it commits."""
    held = repo.session.exec(
        select(ImportedBackground.id)
        .where(col(ImportedBackground.id) == row.id)
        .with_for_update(read=True)
    ).first()
    if held is None:
        raise NotFound(f"background {row.id} not found")


def _remove_files(settings: Settings, version: str) -> None:
    forget_views(version)
    with Session(get_engine(settings)) as session:
        others = session.exec(
            select(func.count())
            .select_from(ImportedBackground)
            .where(col(ImportedBackground.version) == version)
        ).one()
    if not others:
        discard(settings, version)
