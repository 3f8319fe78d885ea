"""What the log holds, as typed frozen records: a question as asked and answered, the
feedback on it, and the rows the read side returns.

Nothing here identifies a user: there are no user ids, chat ids or names, by design.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

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
    # The question's vector as the service computed it (float16 bytes), and a tag naming
    # the model that made it: the report groups questions by it without encoding them
    # again. None for questions logged before vectors were kept.
    vector: bytes | None = None
    vector_model: str | None = None

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


# The log's state: "off" (disabled), "writing" (the last write or check succeeded),
# "failing" (the database cannot be written: records are refused until it can), "closed".
LogState = Literal["off", "writing", "failing", "closed"]


@dataclass(frozen=True)
class LogStats:
    """Counters for /stats and /api/health, in records and feedback items since start."""

    enabled: bool
    written: int  # committed to the database
    dropped: int  # refused at the door: queue full, the database failing, or the log closed
    failed: int  # taken by the writer, then lost to a database error
    queued: int  # waiting for the writer now
    state: LogState = "off"


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
