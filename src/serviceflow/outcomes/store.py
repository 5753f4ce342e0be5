"""The outcome store: outcome rows kept in SQLite (a file, by default) or PostgreSQL (by URL).

SQLAlchemy Core, one table. Writing is idempotent on each row's key (a unique key and
insert-or-ignore), so a retried activity, a replayed decision or a second worker writes a fact
once. Times are kept in UTC and come back timezone-aware.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, ProgrammingError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeDecorator

from serviceflow.errors import ServiceflowError
from serviceflow.outcomes.model import Outcome
from serviceflow.outcomes.settings import OutcomeSettings

__all__ = ["OutcomeStore", "OutcomeStoreError", "database_url", "shown_url"]

#: How long an SQLite write waits for another writer's lock.
SQLITE_LOCK_SECONDS = 2.0
_WAL_ATTEMPTS = 8  # tries of the switch to WAL on a new file (about 2.5 s in all)
#: Rows written in one statement (SQLite allows 32,766 parameters; 19 columns a row).
BATCH = 500


class OutcomeStoreError(ServiceflowError):
    """The outcome store cannot be used: a bad ``SERVICEFLOW_OUTCOMES_URL``, or a database that
    does not answer or refuses."""


class _UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime kept as UTC (SQLite keeps no offset: naive UTC there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
outcomes = Table(
    "serviceflow_outcomes",
    metadata,
    Column("key", String(1_000), primary_key=True),
    Column("decision", Text, nullable=False),
    Column("case_id", Text, nullable=False),
    Column("vendor", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("ticket_id", Text, nullable=False),
    Column("policy", Text),
    Column("target", Text),
    Column("target_id", Text),
    Column("team", Text),
    Column("agent", Text),
    Column("team_name", Text),
    Column("agent_name", Text),
    Column("kind", String(50), nullable=False),
    Column("level", Integer),
    Column("at", _UtcDateTime(), nullable=False),
    Column("started_at", _UtcDateTime()),
    Column("due_at", _UtcDateTime()),
    Column("would_have", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
    Column("policy_version", Text, nullable=False),
    Index("serviceflow_outcomes_at", "at"),
    Index("serviceflow_outcomes_case", "case_id"),
)
COLUMNS = tuple(c.name for c in outcomes.columns)

_SCHEMES = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def database_url(setting: str) -> str:
    """The SQLAlchemy URL of ``SERVICEFLOW_OUTCOMES_URL``: a path is an SQLite file.

    Raises:
        OutcomeStoreError: it names a database serviceflow does not keep outcomes in.
    """
    text = setting.strip()
    if "://" not in text:
        if not text:
            raise OutcomeStoreError("SERVICEFLOW_OUTCOMES_URL is empty: give a file path or a database URL")
        try:
            return f"sqlite:///{Path(text).expanduser()}"
        except RuntimeError:  # ~name of no user here
            raise OutcomeStoreError(
                f"SERVICEFLOW_OUTCOMES_URL: {text!r} starts with a home folder this machine does not have"
            ) from None
    scheme, _, rest = text.partition("://")
    base, _, driver = scheme.lower().partition("+")
    if base not in _SCHEMES:
        raise OutcomeStoreError(
            f"SERVICEFLOW_OUTCOMES_URL: {scheme}:// is not a store serviceflow keeps outcomes in; use a "
            "file path, sqlite:///PATH or postgresql://user:password@host:5432/db"
        )
    if base == "sqlite":
        return f"sqlite://{rest}"
    if driver and driver != "psycopg":
        raise OutcomeStoreError(
            f"SERVICEFLOW_OUTCOMES_URL: the {driver} driver is not supported; use postgresql:// (psycopg)"
        )
    return f"{_SCHEMES[base]}://{rest}"


def shown_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return re.sub(r"(://[^:/@]*:)[^/]*@", r"\1***@", url)


class OutcomeStore:
    """Outcome rows in a database; one per process, shared by its activities (thread-safe)."""

    def __init__(self, setting: str) -> None:
        """The store ``SERVICEFLOW_OUTCOMES_URL`` names (not connected, no file made yet: see
        :meth:`open`).

        Raises:
            OutcomeStoreError: the URL is bad, or names PostgreSQL without its driver installed.
        """
        url = database_url(setting)
        self.url = shown_url(url)
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise OutcomeStoreError(
                f"SERVICEFLOW_OUTCOMES_URL: {self.url!r} is not a database URL "
                "(sqlite:///PATH, postgresql://user:password@host:5432/db)"
            ) from None
        options: dict[str, Any] = {}
        self.file: Path | None = None  # the SQLite file, for an SQLite store
        if parsed.get_backend_name() == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise OutcomeStoreError(
                    "SERVICEFLOW_OUTCOMES_URL: an SQLite store needs a file (sqlite:///PATH): "
                    "outcomes in memory would not outlive the process"
                )
            self.file = Path(parsed.database)
            # Writers take turns on the file; the worker writes on its event loop (activity.py),
            # so it waits at most this long for another writer's lock before that try fails.
            options["connect_args"] = {"timeout": SQLITE_LOCK_SECONDS}
        else:
            options["pool_pre_ping"] = True
            options["connect_args"] = {"connect_timeout": 10}
        try:
            self.engine: Engine = create_engine(parsed, **options)
        except ImportError:
            raise OutcomeStoreError(
                "SERVICEFLOW_OUTCOMES_URL names PostgreSQL, whose driver is not installed: "
                "pip install 'serviceflow[postgres]'"
            ) from None
        except (ArgumentError, NoSuchModuleError) as exc:
            raise OutcomeStoreError(f"SERVICEFLOW_OUTCOMES_URL: {self.url}: {exc}") from None
        self._sqlite_insert = ""  # the insert-or-ignore's SQL, for an SQLite store (see write())
        self._binds: list[Any] = []
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            dialect = self.engine.dialect
            self._binds = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in outcomes.columns]
            self._sqlite_insert = (
                f"INSERT INTO {outcomes.name} ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))}) ON CONFLICT (key) DO NOTHING"
            )
        self._ready = False

    def open(self) -> OutcomeStore:
        """Connect, and create the table if it is not there yet (done by the first read or
        write; a worker starts while its database is down, and writes once it is up).

        Raises:
            OutcomeStoreError: the database cannot be reached, or refuses.
        """
        if not self._ready:
            for attempt in range(3):
                try:
                    self._create()
                    break
                except SQLAlchemyError as exc:
                    # PostgreSQL: two CREATE ... IF NOT EXISTS at once can still collide in its
                    # catalog (pg_type); the other one made the table, so look again. A database
                    # that does not answer is not asked twice.
                    if attempt == 2 or not isinstance(exc, IntegrityError | ProgrammingError):
                        raise OutcomeStoreError(
                            f"cannot open the outcome store at {self.url}: {_reason(exc)}"
                        ) from None
            self._ready = True
        return self

    def _create(self) -> None:
        if self.file is not None and not self.file.parent.is_dir():
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                folder = self.file.parent
                raise OutcomeStoreError(
                    f"SERVICEFLOW_OUTCOMES_URL: cannot create the folder {folder} ({exc.strerror}); "
                    "point it at a writable file or at PostgreSQL"
                ) from None
        found = inspect(self.engine)
        if found.has_table(outcomes.name):
            # A store made by an earlier version lacks the columns added since (all nullable).
            have = {c["name"] for c in found.get_columns(outcomes.name)}
            with self.engine.begin() as connection:
                for column in outcomes.columns:
                    if column.name not in have:
                        kind = column.type.compile(dialect=self.engine.dialect)
                        connection.exec_driver_sql(
                            f"ALTER TABLE {outcomes.name} ADD COLUMN {column.name} {kind}"
                        )
            return
        # IF NOT EXISTS: two workers (or a worker and a report) that start together on a new
        # store both create it, and neither fails.
        with self.engine.begin() as connection:
            connection.execute(CreateTable(outcomes, if_not_exists=True))
            for index in outcomes.indexes:
                connection.execute(CreateIndex(index, if_not_exists=True))

    @classmethod
    def from_settings(cls, settings: OutcomeSettings | None = None) -> OutcomeStore:
        return cls((settings or OutcomeSettings()).outcomes_url)

    def write(self, rows: Iterable[Outcome]) -> int:
        """Keep ``rows``; a row whose key is kept already is left as it is. Returns how many
        were new.

        Raises:
            OutcomeStoreError: the database failed; nothing of the failed batch is kept.
        """
        values = [_values(row) for row in rows]
        if not values:
            return 0
        self.open()
        if self._sqlite_insert:
            return self._write_sqlite(values)
        insert = sqlite.insert if self.engine.dialect.name == "sqlite" else postgresql.insert
        written = 0
        try:
            with self.engine.begin() as connection:
                for start in range(0, len(values), BATCH):
                    statement = (
                        insert(outcomes)
                        .on_conflict_do_nothing(index_elements=["key"])
                        .returning(outcomes.c.key)  # only the rows inserted: what was new
                    )
                    written += len(connection.execute(statement, values[start : start + BATCH]).all())
        except SQLAlchemyError as exc:
            raise OutcomeStoreError(
                f"cannot write to the outcome store at {self.url}: {_reason(exc)}"
            ) from None
        return written

    def _write_sqlite(self, values: list[dict[str, Any]]) -> int:
        """The same insert-or-ignore in one transaction, on the driver's connection: the SQL
        made once, the values bound by the columns' own SQLAlchemy processors (so a row is kept
        exactly as the Core statement keeps it), ``executemany`` and the rows it changed. The
        Core statement built and compiled for every decision was two thirds of a write
        (benchmarks/RESULTS.md, durable7); a decision's rows are committed before it answers,
        as before."""
        binds = self._binds
        try:  # a value a column's processor refuses is Core's StatementError: the same error here
            rows = [
                tuple(v if bind is None else bind(v) for bind, v in zip(binds, row.values(), strict=True))
                for row in values
            ]
        except (TypeError, ValueError, AttributeError) as exc:
            raise OutcomeStoreError(
                f"cannot write to the outcome store at {self.url}: a value it cannot keep ({exc})"
            ) from None
        try:
            connection = self.engine.raw_connection()
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise self._failed(exc) from None
        try:
            cursor = connection.cursor()
            try:
                cursor.executemany(self._sqlite_insert, rows)
                written = max(cursor.rowcount, 0)
                connection.commit()
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            connection.rollback()
            raise self._failed(exc) from None
        finally:
            connection.close()  # back to the pool
        return written

    def _failed(self, exc: SQLAlchemyError | sqlite3.Error) -> OutcomeStoreError:
        return OutcomeStoreError(f"cannot write to the outcome store at {self.url}: {_reason(exc)}")

    def read(
        self,
        *,
        since: datetime | None = None,
        team: str | None = None,
        would_have: bool | None = None,
        limit: int | None = None,
    ) -> list[Outcome]:
        """The rows kept, oldest first; at or after ``since``, of ``team`` (the group's id or its
        roster name), live or shadow; at most ``limit`` of them.

        Raises:
            OutcomeStoreError: the database failed.
        """
        self.open()
        query = select(outcomes).order_by(outcomes.c.at, outcomes.c.key)
        if since is not None:
            query = query.where(outcomes.c.at >= since)
        if team is not None:  # the group's id, or its name as the roster gave it
            query = query.where(or_(outcomes.c.team == team, outcomes.c.team_name == team))
        if would_have is not None:
            query = query.where(outcomes.c.would_have == would_have)
        if limit is not None:
            query = query.limit(limit)
        try:
            with self.engine.connect() as connection:
                found = connection.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise OutcomeStoreError(f"cannot read the outcome store at {self.url}: {_reason(exc)}") from None
        return [Outcome.model_validate(dict(row)) for row in found]

    def close(self) -> None:
        self.engine.dispose()


def _values(row: Outcome) -> dict[str, Any]:
    data = row.model_dump()
    data["kind"] = row.kind.value
    return {name: data[name] for name in COLUMNS}


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL: a report reads while workers write; several worker processes share the file.
    # synchronous=NORMAL: in WAL mode a crash of the process loses nothing, a power cut at most
    # the last commits; each write no longer waits on a disk flush (5 ms a decision here).
    # The busy timeout first, and the journal mode switched only when it is not WAL yet (it is
    # kept in the file): switching needs the file to itself, and SQLite answers "database is
    # locked" at once, without waiting, when workers that start together on a new file all try.
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_LOCK_SECONDS * 1000)}")
    for attempt in range(_WAL_ATTEMPTS):
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * 2**attempt)  # another connection is switching it: 10 ms, 20 ms, ...
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _reason(exc: SQLAlchemyError | sqlite3.Error) -> str:
    """The database's own words, first line, without SQLAlchemy's background link."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]
