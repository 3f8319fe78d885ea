"""The SQLAlchemy engine for the settings: a SQLite file by default, PostgreSQL (psycopg 3)
when a URL is given, each set up so that a commit means the rows are on disk.

SQLite runs in WAL mode with synchronous=FULL. WAL lets the report read while the bot
writes. NORMAL would survive a crash of the process but may lose the last commits on a
power cut or an OS crash; FULL syncs the WAL on each commit, and the writer commits a batch
at a time, so it costs one fsync per batch, not per question, and "written" then means on
disk. PostgreSQL's commits are durable with its default synchronous_commit=on.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from questionlog.settings import StoreSettings

SQLITE_BUSY_TIMEOUT_S = 5.0
# Between attempts to switch a new file to WAL mode (_switch_to_wal).
_WAL_RETRY_S = 0.05
PG_CONNECT_TIMEOUT_S = 5
# A write that takes this long is abandoned, so a hung server costs the writer one batch
# and a wait, not its life.
PG_WRITE_TIMEOUT = "60s"
_IMMEDIATE = "questionlog_immediate"


def store_url(settings: StoreSettings) -> URL:
    """The URL to connect to: the SQLite file, or `settings.url` with psycopg 3 as driver."""
    if settings.url is None:
        return URL.create("sqlite+pysqlite", database=str(settings.path))
    return postgres_url(settings.url)


def postgres_url(text: str) -> URL:
    """`text` as a PostgreSQL URL for psycopg 3; ValueError, in words that never quote the
    URL (it may hold a password), when it is not one."""
    try:
        url = make_url(text)
        port = url.port
    except Exception:
        # ArgumentError, or ValueError for a port that is no number, whose message quotes
        # it: when the URL lacks its @, that "port" is the password.
        raise ValueError("is not a URL like postgresql://user:password@host/db") from None
    if url.drivername not in ("postgresql", "postgres", "postgresql+psycopg"):
        # The scheme alone: the rest may hold a password.
        scheme = re.sub(r"[^A-Za-z0-9+.-]", "?", url.drivername)[:20]
        raise ValueError(f"must be a postgresql:// URL, not {scheme}://")
    if port is not None and not 0 < port < 65536:
        raise ValueError("has a port out of range (1-65535)")
    if url.host and "@" in url.host:
        # The password held an @: the parser took its tail for the host name, which a
        # connection error would then quote.
        raise ValueError("has an @ in its user name or password: write it as %40")
    return url.set(drivername="postgresql+psycopg")


def create_engine(settings: StoreSettings) -> sa.Engine:
    """An engine that has not connected yet: a dead database fails the first use, not this."""
    url = store_url(settings)
    # Errors then carry no SQL parameters, that is no user's question, into a log line.
    common: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            **common,
        )
        _set_up_sqlite(engine, Path(url.database or ""))
        return engine
    return sa.create_engine(
        url,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            # date() of a timestamptz is taken in the session's zone: days are UTC days.
            "options": "-c TimeZone=UTC",
            "application_name": "interview-bot question log",
        },
        **common,
    )


@contextlib.contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that will write. On SQLite it takes the write lock at BEGIN
    (IMMEDIATE), so a transaction that reads before it writes, such as a migration, waits
    for the lock instead of failing on upgrade; on PostgreSQL it has a time limit."""
    with engine.connect() as connection:
        connection.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SET LOCAL statement_timeout = '{PG_WRITE_TIMEOUT}'"))
            yield connection


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode (it stays so). Switching takes an exclusive lock for which
    SQLite does not always call the busy handler: replicas opening a new file at once got
    "database is locked" 7 times in 60 here. So it is tried again, up to the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(_WAL_RETRY_S)


def _set_up_sqlite(engine: sa.Engine, path: Path) -> None:
    @event.listens_for(engine, "do_connect")
    def create_file(*_: Any) -> None:
        # Questions are users' words: the folder and the file are the owner's alone. Made
        # here, on first connect, so that an unusable path is a failed write, not a crash.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))

    @event.listens_for(engine, "connect")
    def configure(connection: sqlite3.Connection, _: Any) -> None:
        # pysqlite's own BEGIN handling would defeat BEGIN IMMEDIATE: SQLAlchemy's events
        # begin transactions instead (its documented recipe).
        connection.isolation_level = None
        cursor = connection.cursor()
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
