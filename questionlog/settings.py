"""The [store] section: where the question log lives, how long it keeps questions, and the
switch that turns it off."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StoreSettings:
    """`url` is a SQLAlchemy or libpq-style PostgreSQL URL (`postgresql://user:pw@host/db`);
    None keeps the log in the SQLite file at `path`. The URL may hold a password, so it is
    left out of the repr; `redact_url` gives the form to show."""

    enabled: bool = True
    url: str | None = field(default=None, repr=False)
    path: Path = Path(".state/questions.sqlite3")
    retention_days: int = 90
    queue_size: int = 1000

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(f"store.retention_days must be at least 1, got {self.retention_days}")
        if self.queue_size < 1:
            raise ValueError(f"store.queue_size must be at least 1, got {self.queue_size}")
        if self.url is not None:
            # Checked now, so that every command refuses a bad URL in one line before it
            # starts (imported here: SQLAlchemy is slow to import for commands without one).
            from questionlog.engine import postgres_url

            try:
                postgres_url(self.url)
            except ValueError as error:
                raise ValueError(f"store.url {error}") from None
