"""Database engine and sessions. One engine per process; one session per request or job."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, Insert, Table, bindparam, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, SQLModel, create_engine


def _normalise_url(url: str) -> str:
    # "postgresql://" alone would pick psycopg2, which we do not install.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_text(value: Any) -> str:
    """The text a JSON column stores: orjson, several times faster than ``json.dumps`` on a
    footprint's result (the largest value a request writes). Keys that are not strings become
    strings and numpy numbers plain numbers, as with ``json.dumps``; a NaN or an infinity
    (which PostgreSQL's json type refuses) is stored as null."""
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in one statement: on PostgreSQL a COPY of plain
    tuples, JSON columns as :func:`json_text` writes them (10,000 lot footprints took ~1 s as an
    executemany INSERT, a statement and its parameters per row); elsewhere an executemany."""
    if not rows:
        return
    session.flush()  # rows they refer to, pending in the session, go first
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    dbapi = connection.connection.driver_connection
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(
                [
                    json_text(row[name]) if is_json else row[name]
                    for name, is_json in zip(names, as_json, strict=True)
                ]
            )


def make_engine(url: str) -> Engine:
    url = _normalise_url(url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
            json_serializer=json_text,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout (measured ~10 % of a footprint
    # request); connections are recycled instead, and a dropped one fails its request once.
    # hide_parameters: a failed statement's error (logged, or wrapped in another) must not carry
    # its bound values, which include key salts and hashes and webhook signing secrets.
    return create_engine(
        url,
        pool_recycle=1800,
        pool_size=10,
        max_overflow=10,
        hide_parameters=True,
        json_serializer=json_text,
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
    # Values as parameters, not .values(): the statement then compiles once and is cached,
    # instead of being rebuilt around every row's literal values.
    session.connection().execute(insert(table), row_values(row))


def row_values(row: SQLModel) -> dict[str, Any]:
    """The column values of ``row``, without an autoincrement id not assigned yet."""
    table = row.__table__  # type: ignore[attr-defined]
    return {
        column.key: getattr(row, column.key)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.key) is None)
    }


def insert_rows_now(session: Session, rows: Sequence[tuple[Table, dict[str, Any]]]) -> None:
    """Write immutable rows (each a table and its column values) as :func:`insert_now` does, in
    one round trip on PostgreSQL: one statement whose leading INSERTs are data-modifying WITH
    clauses. Elsewhere (SQLite), one INSERT per row. A failure of any row fails them all."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < 2:
        for table, values in rows:
            connection.execute(insert(table), values)
        return
    shape = tuple((table, tuple(values)) for table, values in rows)
    statement = _COMBINED.get(shape)
    if statement is None:
        statement = _combined_insert(shape)
        _COMBINED[shape] = statement
    parameters = {
        f"r{n}_{key}": value for n, (_, values) in enumerate(rows) for key, value in values.items()
    }
    connection.execute(statement, parameters)


_COMBINED: dict[tuple[tuple[Table, tuple[str, ...]], ...], Executable] = {}


def _combined_insert(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> Executable:
    """``WITH r0 AS (INSERT …), r1 AS (INSERT …) INSERT …`` for rows of these tables and
    columns; every value a named parameter, so the statement compiles once per shape."""

    def one(n: int, table: Table, keys: tuple[str, ...]) -> Insert:
        return insert(table).values(
            {key: bindparam(f"r{n}_{key}", type_=table.c[key].type) for key in keys}
        )

    *leading, (last_table, last_keys) = shape
    statement = one(len(leading), last_table, last_keys)
    for n, (table, keys) in enumerate(leading):
        statement = statement.add_cte(one(n, table, keys).cte(f"r{n}"))
    return statement
