"""Connecting to the audience database: a SQLite file by default, PostgreSQL when a URL says so.

SQLite runs in WAL mode with a busy timeout, and a write transaction starts with ``BEGIN IMMEDIATE``
so two writers queue instead of failing half-way. PostgreSQL URLs (``postgresql://``, ``postgres://``)
go through psycopg 3. Every failure to reach the database becomes `DatabaseUnavailable`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from core import config
from core.audience.errors import DatabaseUnavailable, InvalidInput

SQLITE_FILE = "audience.sqlite3"
#: How long a SQLite writer waits for another before giving up (then: DatabaseUnavailable).
BUSY_TIMEOUT_S = 15
#: How long to wait for a PostgreSQL server before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5

log = logging.getLogger(__name__)


def database_url(url: str | None = None) -> str:
    """`url`, else ``$KMEANS_LAB_DATABASE_URL``, else the SQLite file in the cache folder, as SQLAlchemy
    reads it (PostgreSQL mapped to the psycopg driver)."""
    url = url or config.database_url()
    if not url:
        return f"sqlite:///{Path(config.cache_dir()) / SQLITE_FILE}"
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise InvalidInput(
            f"{config.DATABASE_URL_ENV} should look like postgresql://user:password@host:5432/database."
        ) from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    raise InvalidInput(
        f"{config.DATABASE_URL_ENV} starts with {parsed.drivername}://, which the lab cannot use: "
        "give a postgresql:// URL, or unset it to use the built-in SQLite file."
    )


def make_engine(url: str) -> Engine:
    """An engine for a URL from `database_url`; nothing is connected until first use."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_pre_ping=True,  # a server restarted since the last request: reconnect, don't fail
        # Every session's script runs in its own thread: a busy server (30 phones and a presenter on a
        # loaded machine) must queue for a connection, not report the database as unreachable.
        pool_size=10,
        max_overflow=10,
        pool_timeout=30,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "kmeans-digit-lab"},
    )


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.warning("cannot create the folder of %s: %s", path, error)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _switch_to_wal(cursor) -> None:
    # Two processes switching a new file to WAL at once: the loser gets "database is locked" at once,
    # without SQLite's busy handler (seen 7 times in 800 tries), so it waits and tries again here.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A transaction, committed at the end; a writer holds SQLite's write lock from its first statement."""
    with database_errors(), (engine.execution_options(immediate=True) if write else engine).begin() as conn:
        yield conn


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Turn a failure to reach or use the database into `DatabaseUnavailable` (the cause is logged)."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError) as error:
        log.warning("audience database unavailable: %s", error)
        raise DatabaseUnavailable() from error
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("audience database connection lost: %s", error)
        raise DatabaseUnavailable() from error
