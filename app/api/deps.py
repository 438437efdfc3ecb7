"""Request dependencies: settings, a committed-on-success session, the caller's organisation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.db import session_scope
from app.repository import OrgRepository, default_organisation_id
from app.runtime import get_background, get_engine
from app.settings import Settings, get_settings
from lca.background import Background

SettingsDep = Annotated[Settings, Depends(get_settings)]


def _session(settings: SettingsDep) -> Iterator[Session]:
    with session_scope(get_engine(settings)) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


def _organisation_id(session: SessionDep, settings: SettingsDep) -> uuid.UUID:
    # Until organisations and API keys exist, every caller acts for the default organisation.
    return default_organisation_id(session, settings.default_organisation)


OrganisationIdDep = Annotated[uuid.UUID, Depends(_organisation_id)]


def _repository(session: SessionDep, organisation_id: OrganisationIdDep) -> OrgRepository:
    return OrgRepository(session, organisation_id)


RepoDep = Annotated[OrgRepository, Depends(_repository)]


def _background(settings: SettingsDep) -> Background:
    return get_background(settings)


BackgroundDep = Annotated[Background, Depends(_background)]
