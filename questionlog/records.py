"""What the log holds, as typed frozen records: a question as asked and answered, the
feedback on it, and the rows the read side returns.

Nothing here identifies a user: there are no user ids, chat ids or names, by design.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from records import Decision, FrontEnd, Vote

ScoredId = tuple[str, float]  # (paragraph id, score) of a hit, best first


@dataclass(frozen=True)
class Question:
    id: str
    at: datetime  # UTC
    front_end: FrontEnd
    language: str | None
    text: str
    decision: Decision
    hits: tuple[ScoredId, ...]

    @property
    def shown_paragraph_id(self) -> str | None:
        """The paragraph the user saw first: the best hit."""
        return self.hits[0][0] if self.hits else None


@dataclass(frozen=True)
class Feedback:
    """A vote, a preferred paragraph, or both, on one question. Several arrive over time;
    the latest vote and the latest preference are kept."""

    question_id: str
    at: datetime  # UTC
    vote: Vote | None = None
    # The paragraph the user opened after a 👎: an implicit label for the question.
    preferred_paragraph_id: str | None = None


@dataclass(frozen=True)
class LogStats:
    """Counters for an admin's /stats, in records and feedback items since start."""

    enabled: bool
    written: int  # committed to the database
    dropped: int  # refused at the door: queue full, or the log closed
    failed: int  # taken by the writer, then lost to a database error
    queued: int  # waiting for the writer now


@dataclass(frozen=True)
class DayCount:
    day: date  # UTC
    decision: Decision
    count: int


@dataclass(frozen=True)
class QuestionWithFeedback:
    question: Question
    vote: Vote | None
    preferred_paragraph_id: str | None


@dataclass(frozen=True)
class VoteCounts:
    up: int
    down: int
