"""Uploaded sources: kept on disk for the import job that reads them."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import IO, Any

from app.core.errors import InvalidInput
from app.core.repository import OrgRepository
from app.core.settings import Settings
from app.jobs.models import Job
from app.jobs.queue import BACKGROUND_IMPORT, create_job


def upload_directory(settings: Settings, key: str) -> Path:
    """Where the upload ``key`` (a uuid hex the service made) is kept until its job ends."""
    return settings.backgrounds_root / "uploads" / key


def store_upload(
    repo: OrgRepository, settings: Settings, source: IO[bytes], params: dict[str, Any]
) -> Job:
    """Copy the uploaded ``source`` to its directory and create the import job; the directory
    is removed again when anything fails (an empty file, the organisation's job limit)."""
    directory = upload_directory(settings, params["upload"])
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / params["file"]
    try:
        source.seek(0)
        with target.open("wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
        size = target.stat().st_size
        if size == 0:
            raise InvalidInput(
                "the uploaded file is empty",
                [{"loc": ["body", "file"], "msg": "no data", "type": "missing"}],
            )
        params["size_bytes"] = size
        return create_job(repo, BACKGROUND_IMPORT, uuid.UUID(params["upload"]), params, settings)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
