"""The database behind the log: its engine, its schema brought up to date on first use, and
the two writes the log makes, a batch of records and a purge."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from questionlog.engine import create_engine, write_transaction
from questionlog.migrations import MIGRATIONS, Migration, migrate
from questionlog.records import Feedback, Question
from questionlog.redaction import describe_error, redact_url
from questionlog.schema import feedback, questions
from questionlog.settings import StoreSettings


class Store:
    """One database, shared by the writer thread and the read side (an engine is safe to
    share between threads; each use takes its own connection)."""

    def __init__(
        self, settings: StoreSettings, migrations: Sequence[Migration] = MIGRATIONS
    ) -> None:
        self.engine = create_engine(settings)
        # For messages: never the URL itself, which may hold a password.
        self.name = redact_url(settings.url) if settings.url else str(settings.path)
        self._url = settings.url or ""
        self._migrations = migrations
        self._migrated = False
        # The SQLite file the open connections write to, as (device, inode) once a write
        # succeeded: a connection to a file that was deleted or replaced goes on writing
        # into the old inode, where nobody will ever read it.
        self._path = None if settings.url else settings.path
        self._file: tuple[int, int] | None = None

    @classmethod
    def open(cls, settings: StoreSettings) -> Store:
        """A store ready to read: connected, and migrated. Raises on a database that is
        down, or whose schema is newer than this program's (SchemaError)."""
        store = cls(settings)
        try:
            store.ensure_schema()
        except BaseException:
            store.close()
            raise
        return store

    def ensure_schema(self) -> None:
        """Migrate once per process; later calls cost nothing."""
        if not self._migrated:
            migrate(self.engine, self._migrations)
            self._migrated = True

    def write(self, new: Sequence[Question], feedback_items: Iterable[Feedback]) -> None:
        """Insert `new` and apply the feedback in one transaction: all of it, or none."""
        self.check_writable()
        self.ensure_schema()
        merged = _merge(feedback_items)
        with write_transaction(self.engine) as connection:
            if new:
                connection.execute(sa.insert(questions), [_question_row(q) for q in new])
            if merged:
                connection.execute(_feedback_upsert(connection), merged)
        self._file = _identity(self._path)

    def probe(self) -> None:
        """Raise unless a write would succeed now: the database is reachable, migrated and
        writable (an empty write transaction)."""
        self.check_writable()
        self.ensure_schema()
        with write_transaction(self.engine):
            pass
        self._file = _identity(self._path)

    def reopened(self) -> str | None:
        """For SQLite: when the file the connections write to was deleted or replaced since
        the last write, close them (the next write makes and migrates a new file) and say
        what happened; else None."""
        if self._path is None or self._file is None:
            return None
        now = _identity(self._path)
        if now == self._file:
            return None
        self.engine.dispose()
        self._migrated = False
        self._file = None
        return "was deleted" if now is None else "was replaced"

    def check_writable(self) -> None:
        """Raise ReadOnlyStore for a SQLite file that cannot be written: a connection opened
        before would go on appending to its write-ahead log, which can never be merged in."""
        if self._path is not None and self._path.exists() and not os.access(self._path, os.W_OK):
            raise ReadOnlyStore(f"{self._path} is read-only")

    def purge(self, before: datetime) -> int:
        """Delete questions and feedback older than `before`; returns the questions deleted."""
        self.ensure_schema()
        with write_transaction(self.engine) as connection:
            deleted = connection.execute(sa.delete(questions).where(questions.c.at < before))
            connection.execute(sa.delete(feedback).where(feedback.c.at < before))
        return deleted.rowcount

    def describe(self, exc: BaseException) -> str:
        """One line about a failure, for a warning: no password, no SQL parameters."""
        return describe_error(exc, self._url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ReadOnlyStore(OSError):
    """The SQLite file cannot be written."""


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        stat = os.stat(path) if path is not None else None
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino) if stat is not None else None


def _question_row(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "at": question.at,
        "front_end": question.front_end,
        "language": question.language,
        "text": question.text,
        "decision": question.decision,
        "hits": [list(hit) for hit in question.hits],
        "vector": question.vector,
        "vector_model": question.vector_model,
    }


def _merge(items: Iterable[Feedback]) -> list[dict[str, Any]]:
    """One row per question, the latest vote and preference winning: PostgreSQL refuses an
    upsert that touches the same row twice in one statement."""
    merged: dict[str, Feedback] = {}
    for item in items:
        earlier = merged.get(item.question_id)
        if earlier is not None:
            item = Feedback(
                item.question_id,
                item.at,
                item.vote or earlier.vote,
                item.preferred_paragraph_id or earlier.preferred_paragraph_id,
            )
        merged[item.question_id] = item
    return [
        {
            "question_id": item.question_id,
            "at": item.at,
            "vote": item.vote,
            "preferred_paragraph_id": item.preferred_paragraph_id,
        }
        for item in merged.values()
    ]


def _feedback_upsert(connection: sa.Connection) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE in the connection's dialect: a vote and a preference
    arrive separately, and each keeps what the other set."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(feedback)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[feedback.c.question_id],
        set_={
            "at": new.at,
            "vote": sa.func.coalesce(new.vote, feedback.c.vote),
            "preferred_paragraph_id": sa.func.coalesce(
                new.preferred_paragraph_id, feedback.c.preferred_paragraph_id
            ),
        },
    )
