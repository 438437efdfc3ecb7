"""Database engine and sessions. One engine per process; one session per request or job."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    JSON,
    Insert,
    Table,
    bindparam,
    cast,
    event,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.expression import ColumnElement, Executable, Select
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
    (which PostgreSQL's json type refuses) is stored as null. A :class:`JsonDocument` is
    serialised once."""
    if isinstance(value, JsonDocument):
        return value.text()
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


class JsonDocument(dict[str, Any]):
    """A JSON object never changed once built (the result shared by the footprints of one
    computation, see app.footprints.service): its text is written once, then reused."""

    __slots__ = ("_text",)

    def text(self) -> str:
        try:
            return self._text
        except AttributeError:
            self._text: str = orjson.dumps(self, option=_JSON_OPTIONS).decode()
            return self._text


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


class WriteGuard(Protocol):
    """A condition the database checks in the same statement as a request's first write (such
    as "the caller's key is still valid"), instead of a SELECT of its own before the work.

    ``condition`` is a boolean SQL expression with named parameters (``parameters``); a write
    guarded by it stores nothing when it is false, and the guard's ``refused`` then raises.
    ``passed`` is set once a guarded write stored its rows in this transaction."""

    condition: ColumnElement[bool]
    parameters: dict[str, Any]
    passed: bool

    def refused(self, session: Session) -> None:
        """Raise the error that a false condition means (called in the same transaction)."""


class Reads:
    """Queries that run with an :func:`insert_rows_now` write: on PostgreSQL inside the same
    statement (its RETURNING clause), a round trip each fewer; elsewhere one after the other.
    ``statements`` are Core SELECTs built once (their identity keys the compiled statement);
    ``parameters`` the values of their named parameters. :attr:`rows` holds, per statement,
    its rows as lists, in no particular order: decoded from JSON on PostgreSQL (ids and times
    as text), the columns' Python values elsewhere."""

    def __init__(self, statements: Sequence[Select[Any]], parameters: Mapping[str, Any]) -> None:
        self.statements = tuple(statements)
        self.parameters = dict(parameters)
        self.rows: list[list[list[Any]]] = []


def insert_rows_now(
    session: Session,
    rows: Sequence[tuple[Table, dict[str, Any]]],
    guard: WriteGuard | None = None,
    reads: Reads | None = None,
) -> None:
    """Write immutable rows (each a table and its column values) as :func:`insert_now` does, in
    one round trip on PostgreSQL: one statement whose leading INSERTs are data-modifying WITH
    clauses. Elsewhere (SQLite), one INSERT per row. A failure of any row fails them all.

    With a ``guard`` not yet passed, the rows are stored only if its condition holds, checked
    by the same statement on PostgreSQL (by the first row's INSERT on SQLite); otherwise
    nothing is stored and ``guard.refused`` raises. ``reads`` (see :class:`Reads`) are answered
    by the same statement on PostgreSQL, after the rows are stored."""
    if guard is not None and guard.passed:
        guard = None
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if guard is not None:
        if postgres:
            count = _execute_combined(connection, rows, guard, reads)
        else:
            (table, values), *rest = rows
            statement = _insert_where((table, tuple(values)), guard.condition, cast_values=False)
            count = connection.execute(
                statement, {**guard.parameters, **_parameters(((table, values),))}
            ).rowcount
            if count:
                for table, values in rest:
                    connection.execute(insert(table), values)
        if not count:
            guard.refused(session)
            raise RuntimeError("write guard refused without an error")  # refused() raises
        guard.passed = True
    elif postgres and (len(rows) > 1 or reads is not None):
        _execute_combined(connection, rows, None, reads)
    else:
        for table, values in rows:
            connection.execute(insert(table), values)
    if reads is not None and not (postgres and reads.rows):
        reads.rows = [
            [list(row) for row in connection.execute(statement, reads.parameters)]
            for statement in reads.statements
        ]


Shape = tuple[tuple[Table, tuple[str, ...]], ...]


def _shape(rows: Sequence[tuple[Table, dict[str, Any]]]) -> Shape:
    return tuple((table, tuple(values)) for table, values in rows)


def _parameters(rows: Sequence[tuple[Table, dict[str, Any]]]) -> dict[str, Any]:
    return {
        f"r{n}_{key}": value for n, (_, values) in enumerate(rows) for key, value in values.items()
    }


def _execute_combined(
    connection: Any,
    rows: Sequence[tuple[Table, dict[str, Any]]],
    guard: WriteGuard | None,
    reads: Reads | None = None,
) -> int:
    """Run the rows' combined statement; the number of rows its last INSERT stored. Fills
    ``reads.rows`` when the rows were stored."""
    shape = _shape(rows)
    statements = () if reads is None else reads.statements
    cache_key = (shape, None if guard is None else guard.condition, statements)
    statement = _COMBINED.get(cache_key)
    if statement is None:
        statement = _combined_insert(shape, guard, statements)
        _COMBINED[cache_key] = statement
    parameters = _parameters(rows)
    if reads is not None:
        parameters.update(reads.parameters)
    if guard is None and reads is None:
        connection.execute(statement, parameters)
        return len(rows)
    if guard is not None:
        parameters.update(guard.parameters)
    # Rows returned, not the cursor's row count (-1 for a statement with RETURNING in a CTE).
    returned = connection.execute(statement, parameters).all()
    if reads is not None and returned:
        reads.rows = [list(answer) for answer in returned[0][1:]]
    return len(returned)


def _read_as_json(statement: Select[Any]) -> Any:
    """A scalar subquery: the rows of ``statement`` as one JSON array of arrays (``[]`` when
    none), so that a RETURNING clause can carry them."""
    answer = statement.subquery()
    return (
        select(
            func.coalesce(func.json_agg(func.json_build_array(*answer.c)), literal("[]").cast(JSON))
        )
        .select_from(answer)
        .scalar_subquery()
    )


_COMBINED: dict[tuple[Shape, Any, Any], Executable] = {}


def _values(n: int, table: Table, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: bindparam(f"r{n}_{key}", type_=table.c[key].type) for key in keys}


def _insert_where(
    row: tuple[Table, tuple[str, ...]], condition: Any, *, cast_values: bool, n: int = 0
) -> Insert:
    """``INSERT INTO t (…) SELECT :v, … WHERE <condition>``: stores the row only if the
    condition holds. On PostgreSQL each value is cast to its column's type (a parameter in a
    SELECT list has no type of its own there)."""
    table, keys = row
    values = _values(n, table, keys)
    columns = [
        cast(value, table.c[key].type) if cast_values else value for key, value in values.items()
    ]
    return insert(table).from_select(list(keys), select(*columns).where(condition))


def _combined_insert(
    shape: Shape, guard: WriteGuard | None = None, reads: Sequence[Select[Any]] = ()
) -> Executable:
    """``WITH r0 AS (INSERT …), r1 AS (INSERT …) INSERT …`` for rows of these tables and
    columns; every value a named parameter, so the statement compiles once per shape. With a
    ``guard``, the first INSERT is guarded and every later one stores its row only if the first
    stored its own (``SELECT … FROM r0``), so the last one's row count says whether all did.
    ``reads``: the last INSERT returns ``1`` and then each read's rows as one JSON array."""
    answers = [_read_as_json(read) for read in reads]

    if guard is None:

        def one(n: int, table: Table, keys: tuple[str, ...]) -> Insert:
            return insert(table).values(_values(n, table, keys))

        *leading, (last_table, last_keys) = shape
        statement = one(len(leading), last_table, last_keys)
        if answers:
            statement = statement.returning(literal_column("1"), *answers)
        for n, (table, keys) in enumerate(leading):
            statement = statement.add_cte(one(n, table, keys).cte(f"r{n}"))
        return statement

    first: Any = _insert_where(shape[0], guard.condition, cast_values=True)
    if len(shape) == 1:
        return first.returning(literal_column("1"), *answers)
    r0 = first.returning(literal_column("1")).cte("r0")
    gate = exists(select(literal_column("1")).select_from(r0))

    *middle, last = shape[1:]
    statement = (
        _insert_where(last, gate, cast_values=True, n=len(shape) - 1)
        .returning(literal_column("1"), *answers)
        .add_cte(r0)
    )
    for n, row in enumerate(middle, start=1):
        statement = statement.add_cte(_insert_where(row, gate, cast_values=True, n=n).cte(f"r{n}"))
    return statement
