"""Engine, session factory and the three places that commit: request, job and CLI scope.

Services and repositories only `flush()`. Work that must happen after a commit (sending a
job to the queue) is registered with `after_commit(session, fn)` and runs only when the
transaction really commits; a rollback drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from smartinbox.config import Settings, get_settings
from smartinbox.kit.files import private_file

log = logging.getLogger(__name__)

_AFTER_COMMIT_KEY = "smartinbox.after_commit"


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # The sqlite3 module's own transaction handling breaks SAVEPOINTs (a RELEASE outside
    # its implicit transaction commits for real); SQLAlchemy emits BEGIN itself instead.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    kwargs: dict[str, Any] = {"future": True}
    if settings.is_sqlite:
        db_file = settings.sqlite_path()
        if db_file is not None:
            private_file(db_file)  # 0600: SQLite gives its -wal and -shm files the same mode
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 5}
        # A connection each for the server's request threads (40) and the worker threads: an
        # SQLite connection is only an open file, and a request that waits for the write lock
        # holds its connection while it waits, so a smaller pool runs dry under load.
        kwargs.update(pool_size=10, max_overflow=60)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Connection) -> None:
    # Writers start with BEGIN IMMEDIATE: they queue on busy_timeout for the write lock
    # instead of failing with "database is locked" when a read turns into a write.
    mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def begin_write(session: Session) -> None:
    """Declare, before its first query, that this unit of work will write."""
    session.connection(execution_options={"sqlite_write": True})


_engines: dict[str, Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = _engines[settings.database_url] = make_engine(settings)
    return engine


def reset_engines() -> None:
    """Dispose every engine (tests switch databases; worker processes start fresh)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def session_factory(settings: Settings | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(settings), expire_on_commit=False, autoflush=True)


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the session's transaction commits; forget it on rollback."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for fn in pending:
        try:
            fn()
        except Exception:
            # The data is committed; a lost enqueue is recovered by the periodic sweep.
            log.exception("after-commit hook failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


@contextmanager
def session_scope(settings: Settings | None = None, *, write: bool = True) -> Iterator[Session]:
    """The job and CLI unit of work: commit on success, roll back on any error."""
    session = session_factory(settings)()
    if write:
        begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _dialect_insert(session: Session, model: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model)
    return sqlite_insert(model)


def insert_ignoring_duplicates(session: Session, model: Any, keys: list[str]) -> Any:
    """An INSERT of `model` rows that skips rows whose `keys` the table already has."""
    return _dialect_insert(session, model).on_conflict_do_nothing(index_elements=keys)


def upsert(session: Session, model: Any, keys: list[str], update: list[str]) -> Any:
    """An INSERT of `model` rows that, where a row with the same `keys` exists, sets its
    `update` columns to the new row's values instead."""
    stmt = _dialect_insert(session, model)
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={column: stmt.excluded[column] for column in update}
    )
