"""Database engine and sessions. One engine per process; one session per request or job."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, create_engine


def _normalise_url(url: str) -> str:
    # "postgresql://" alone would pick psycopg2, which we do not install.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = _normalise_url(url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout (measured ~10 % of a footprint
    # request); connections are recycled instead, and a dropped one fails its request once.
    # hide_parameters: a failed statement's error (logged, or wrapped in another) must not carry
    # its bound values, which include key salts and hashes and webhook signing secrets.
    return create_engine(
        url, pool_recycle=1800, pool_size=10, max_overflow=10, hide_parameters=True
    )


logger = logging.getLogger("cellcarbon.db")
_AFTER_COMMIT = "cellcarbon.after_commit"


def call_after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once ``session``'s transaction has committed (never if it rolls back):
    for work that must see the committed rows, such as a job handed to a worker."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(OrmSession, "after_commit")
def _run_after_commit(session: OrmSession) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:  # the commit stands; the sweeper picks up what was not handed on
            logger.exception("after-commit callback failed")


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_commit(session: OrmSession) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_now(session: Session, row: SQLModel) -> None:
    """Write an immutable ``row`` with one INSERT now, in ``session``'s transaction, outside the
    unit of work: for rows written on hot paths and never changed (footprints, audit events),
    where the flush bookkeeping cost more than the insert itself. ``row`` stays transient: the
    session does not track it, so later changes to it are not saved."""
    table = row.__table__  # type: ignore[attr-defined]
    values = {
        column.key: getattr(row, column.key)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.key) is None)  # autoincrement ids
    }
    # Values as parameters, not .values(): the statement then compiles once and is cached,
    # instead of being rebuilt around every row's literal values.
    session.connection().execute(insert(table), values)
