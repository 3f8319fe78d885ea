"""The tables, as the newest migration leaves them; `migrations.py` gets a database there.

Feedback has its own table, keyed by question id, with no foreign key: a vote is an upsert
that does not depend on the question's row being written first (with several replicas the
question may be queued in another one), and retention purges each table by its own time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from questionlog.ids import RECORD_ID_LENGTH


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both dialects: PostgreSQL keeps a timestamptz;
    SQLite keeps naive ISO text, which sorts and compares correctly as long as it is all
    UTC, so aware values are converted on the way in and marked UTC on the way out."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime would be read in the server's zone: {value}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()
ID = sa.String(RECORD_ID_LENGTH)

# Text columns have no length limit: PostgreSQL would fail the whole batch over one
# overlong value, and the front ends already limit what a user can send.
questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("front_end", sa.Text, nullable=False),
    sa.Column("language", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    # [[paragraph id, score], ...], best first: read whole, never queried inside.
    sa.Column("hits", sa.JSON, nullable=False),
    # The question's vector (float16) and the model that made it (service/vectors.py).
    sa.Column("vector", sa.LargeBinary),
    sa.Column("vector_model", sa.Text),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("question_id", ID, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("vote", sa.Text),
    sa.Column("preferred_paragraph_id", sa.Text),
)

# One row per migration applied; the highest version is the schema's.
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UtcDateTime, nullable=False),
)
