"""The database layer: a failed statement's error never carries its bound values (they include
API key salts and hashes and webhook signing secrets); work queued for after a commit runs only
once the transaction commits."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


def test_a_failed_statement_does_not_quote_its_parameters(settings: Any) -> None:
    from app.core.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection, pytest.raises(SQLAlchemyError) as failure:
            connection.execute(
                text("INSERT INTO no_such_table (secret) VALUES (:secret)"),
                {"secret": "s3cr3t-salt-and-hash"},
            )
    finally:
        engine.dispose()
    assert "s3cr3t-salt-and-hash" not in str(failure.value)
    assert "hidden" in str(failure.value)


def test_after_commit_work_waits_for_the_commit_and_is_dropped_on_rollback(settings: Any) -> None:
    from sqlmodel import Session

    from app.core.db import call_after_commit
    from app.core.runtime import get_engine

    ran: list[str] = []
    with Session(get_engine(settings)) as session:
        call_after_commit(session, lambda: ran.append("committed"))
        session.execute(text("SELECT 1"))
        assert ran == []
        session.commit()
        assert ran == ["committed"]
        call_after_commit(session, lambda: ran.append("rolled back"))
        session.execute(text("SELECT 1"))
        session.rollback()
        session.commit()
    assert ran == ["committed"]
