"""The outcome store on a real SQLite file and a real PostgreSQL server: kept once per key,
read back as written, filtered, and a clear error for every store it cannot use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres_support import postgres_server
from test_tally import ROWS

from serviceflow.outcomes import Outcome
from serviceflow.outcomes.settings import DEFAULT_STORE, OutcomeSettings
from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError, database_url, shown_url


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def check_store(store: OutcomeStore) -> None:
    long = ROWS[0].model_copy(update={"key": "long", "team": "t" * 5_000, "agent": "\u00e9" * 3_000})
    assert store.write([long]) == 1  # names as long as a helpdesk gives them
    assert store.read(team="t" * 5_000) == [long]
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM serviceflow_outcomes")
    assert store.write(ROWS) == len(ROWS)
    assert store.write(ROWS) == 0  # a retried activity: the same keys, nothing new
    assert store.write(ROWS[:3] + ROWS[:3]) == 0
    kept = store.read()
    assert sorted(kept, key=lambda r: r.key) == sorted(ROWS, key=lambda r: r.key)
    assert all(r.at.tzinfo is not None for r in kept)
    since = ROWS[0].at.replace(hour=ROWS[0].at.hour + 5)
    assert {r.key for r in store.read(since=since)} == {r.key for r in ROWS if r.at >= since}
    assert {r.key for r in store.read(team="billing")} == {r.key for r in ROWS if r.team == "billing"}
    assert [r.key for r in store.read(would_have=True)] == [r.key for r in ROWS if r.would_have]


def test_the_default_store_is_a_file_that_outlives_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SERVICEFLOW_OUTCOMES_URL", raising=False)
    store = OutcomeStore.from_settings(OutcomeSettings())
    check_store(store)
    store.close()
    assert (tmp_path / DEFAULT_STORE).is_file()
    again = OutcomeStore(str(tmp_path / DEFAULT_STORE))
    assert len(again.read()) == len(ROWS) and again.write(ROWS) == 0
    again.close()


def test_postgresql_by_url(postgres_url: str) -> None:
    store = OutcomeStore(postgres_url)
    try:
        check_store(store)
        assert OutcomeStore(postgres_url).write(ROWS) == 0  # a second worker: the same table
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u@h/db", "mysql:// is not a store serviceflow keeps outcomes in"),
        ("postgresql+asyncpg://u@h/db", "the asyncpg driver is not supported"),
        ("sqlite://", "needs a file"),
        ("sqlite:///:memory:", "needs a file"),
        ("   ", "is empty"),
        ("/proc/serviceflow/outcomes.sqlite3", "cannot create the folder /proc/serviceflow"),
        (
            "postgresql://u:secret@127.0.0.1:1/db",
            "cannot open the outcome store at postgresql+psycopg://u:***@",
        ),
    ],
)
def test_a_store_it_cannot_use_is_a_clear_error(url: str, says: str) -> None:
    with pytest.raises(OutcomeStoreError) as caught:
        OutcomeStore(url).open()
    assert says in str(caught.value)
    assert "secret" not in str(caught.value)


def test_urls() -> None:
    assert database_url("out.db") == "sqlite:///out.db"
    assert database_url("sqlite:////var/x.db") == "sqlite:////var/x.db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert shown_url("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40).filter(
    lambda s: "\x00" not in s
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=text.filter(bool), team=st.none() | text, detail=text, offset=st.integers(-(10**6), 10**6))
def test_any_row_comes_back_as_written(
    tmp_path: Path, key: str, team: str | None, detail: str, offset: int
) -> None:
    store = OutcomeStore(str(tmp_path / "p.sqlite3"))
    try:
        written = ROWS[0].model_copy(
            update={"key": key, "team": team, "detail": detail, "at": ROWS[0].at + timedelta(seconds=offset)}
        )
        store.write([written])
        (back,) = [r for r in store.read() if r.key == key]
        assert back == written and back.at.astimezone(UTC) == written.at.astimezone(UTC)
        assert isinstance(back, Outcome)
    finally:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM serviceflow_outcomes")
        store.close()


def race_to_create(url: str) -> list[int]:
    """Eight workers start together on a new store: each opens it and writes the same rows."""
    barrier = threading.Barrier(8)
    written: list[int] = []
    failures: list[BaseException] = []

    def start() -> None:
        store = OutcomeStore(url)
        barrier.wait(timeout=30)
        try:
            written.append(store.write(ROWS[:3]))
        except BaseException as exc:  # collected: the test says which
            failures.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return written


def test_workers_that_start_together_on_a_new_file_all_write(tmp_path: Path) -> None:
    assert sum(race_to_create(str(tmp_path / "new.sqlite3"))) == 3  # each row once


def test_workers_that_start_together_on_a_new_database_all_write(postgres_url: str) -> None:
    store = OutcomeStore(postgres_url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS serviceflow_outcomes")
    store.close()
    assert sum(race_to_create(postgres_url)) == 3


def test_a_store_made_by_an_earlier_version_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = OutcomeStore(str(path))
    store.open()
    with store.engine.begin() as connection:  # as the first version made it: no names
        connection.exec_driver_sql("ALTER TABLE serviceflow_outcomes DROP COLUMN team_name")
        connection.exec_driver_sql("ALTER TABLE serviceflow_outcomes DROP COLUMN agent_name")
    store.close()
    again = OutcomeStore(str(path))
    named = ROWS[0].model_copy(update={"agent_name": "Cat", "team_name": "Front"})
    assert again.write([named]) == 1 and again.read() == [named]
    again.close()


def test_an_sqlite_write_keeps_each_row_as_the_core_statement_keeps_it(tmp_path: Path) -> None:
    """The SQLite store writes through the driver (its SQL made once, its values bound by the
    columns' own processors); what it keeps is byte for byte what SQLAlchemy's insert keeps."""
    from sqlalchemy.dialects import sqlite

    from serviceflow.outcomes.store import COLUMNS, outcomes

    rows = [r.model_copy(update={"at": r.at.astimezone(timezone(timedelta(hours=-5)))}) for r in ROWS]
    fast, core = OutcomeStore(str(tmp_path / "fast.sqlite3")), OutcomeStore(str(tmp_path / "core.sqlite3"))
    try:
        assert fast.write(rows) == len(rows) and fast.write(rows[:2]) == 0
        core.open()
        with core.engine.begin() as connection:
            values = [{name: getattr(r, name) for name in COLUMNS} | {"kind": r.kind.value} for r in rows]
            connection.execute(sqlite.insert(outcomes).on_conflict_do_nothing(index_elements=["key"]), values)
        query = f"SELECT * FROM {outcomes.name} ORDER BY key"
        with fast.engine.connect() as a, core.engine.connect() as b:
            kept, expected = a.exec_driver_sql(query).all(), b.exec_driver_sql(query).all()
        assert kept == expected and len(kept) == len(rows)
        assert sorted(fast.read(), key=lambda r: r.key) == sorted(rows, key=lambda r: r.key)
    finally:
        fast.close()
        core.close()


def test_a_failed_sqlite_write_keeps_nothing_of_its_batch(tmp_path: Path) -> None:
    store = OutcomeStore(str(tmp_path / "o.sqlite3"))
    try:
        store.write(ROWS[:1])
        with store.engine.begin() as connection:  # the third row of the next batch is refused
            connection.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON serviceflow_outcomes WHEN NEW.key = '{ROWS[2].key}' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        with pytest.raises(OutcomeStoreError, match="refused"):
            store.write(ROWS[1:4])
        assert [r.key for r in store.read()] == [ROWS[0].key]
        assert store.write(ROWS[1:2]) == 1  # the store goes on
    finally:
        store.close()


def test_a_value_the_store_cannot_keep_is_the_store_s_error_not_a_crash(tmp_path: Path) -> None:
    """A value a column's own processor refuses (here a time that is not a datetime) is the same
    OutcomeStoreError on the SQLite driver path as SQLAlchemy's Core statement gives, and the
    batch keeps nothing."""
    store = OutcomeStore(str(tmp_path / "o.sqlite3"))
    try:
        bad = Outcome.model_construct(**(ROWS[1].model_dump() | {"key": "bad", "at": "yesterday"}))
        with pytest.warns(UserWarning), pytest.raises(OutcomeStoreError, match="a value it cannot keep"):
            store.write([ROWS[0], bad])
        assert store.read() == [] and store.write(ROWS[:1]) == 1
    finally:
        store.close()
