"""Schema versions: an ordered list of steps, and `schema_version` recording those applied.

Opening a database applies the steps it lacks, in one transaction; a database whose
version is above the last step was made by a newer program, and is refused rather than
written in a shape this one does not know. Replicas starting together take turns: SQLite
through BEGIN IMMEDIATE, PostgreSQL through an advisory lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from questionlog.clock import Clock, utc_now
from questionlog.engine import write_transaction
from questionlog.schema import ID, UtcDateTime, schema_version

Migration = Callable[[sa.Connection], None]
# Any constant both replicas agree on: it names the lock, nothing else.
_PG_MIGRATION_LOCK = 0x7175_6573_6C6F_67  # "queslog"


class SchemaError(RuntimeError):
    """The database's schema is newer than this program's."""


# The tables as version 1 made them, frozen here: schema.py holds the newest shape.
_V1 = sa.MetaData()
_V1_TABLES = (
    sa.Table(
        "questions",
        _V1,
        sa.Column("id", ID, primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False, index=True),
        sa.Column("front_end", sa.Text, nullable=False),
        sa.Column("language", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("hits", sa.JSON, nullable=False),
    ),
    sa.Table(
        "feedback",
        _V1,
        sa.Column("question_id", ID, primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False, index=True),
        sa.Column("vote", sa.Text),
        sa.Column("preferred_paragraph_id", sa.Text),
    ),
)


def _create_tables(connection: sa.Connection) -> None:
    for table in _V1_TABLES:
        table.create(connection)


def _add_question_vectors(connection: sa.Connection) -> None:
    # Nullable: the questions logged before have none, and the report encodes those.
    binary = sa.LargeBinary().compile(dialect=connection.dialect)
    connection.execute(sa.text(f"ALTER TABLE questions ADD COLUMN vector {binary}"))
    connection.execute(sa.text("ALTER TABLE questions ADD COLUMN vector_model TEXT"))


MIGRATIONS: tuple[Migration, ...] = (_create_tables, _add_question_vectors)


def migrate(
    engine: sa.Engine, steps: Sequence[Migration] = MIGRATIONS, clock: Clock = utc_now
) -> int:
    """Bring the database to version len(steps); returns that version."""
    latest = len(steps)
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
        schema_version.create(connection, checkfirst=True)
        current = connection.scalar(sa.select(sa.func.max(schema_version.c.version))) or 0
        if current > latest:
            raise SchemaError(
                f"the question log's schema is version {current}, newer than this program's "
                f"{latest}: run a newer interview-bot, or point [store] at another database"
            )
        for version in range(current + 1, latest + 1):
            steps[version - 1](connection)
            connection.execute(
                sa.insert(schema_version).values(version=version, applied_at=clock())
            )
    return latest
