"""The service's answer to a question: what to show, and how sure it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, PrivateAttr, computed_field

from records import Decision, Document, Hit, Reason, Statement
from records.base import Record, Score

if TYPE_CHECKING:
    from .snapshot import Snapshot


class Reply(Record):
    """One question's reply: what `ask --json` prints, what /api/search returns, what the
    bot and the CLI render.

    The fields marked `exclude` are for the front ends that draw more than the API says
    (the passages shown, "did you mean", the map); they are not part of the JSON.
    """

    query: str = Field(description="the question as searched (whitespace collapsed)")
    decision: Decision
    confidence: Score = Field(description="calibrated probability that the first hit is right")
    uncovered_terms: tuple[str, ...] = Field(
        description="words of the question the interview does not mention (why it is not "
        "covered, or why an answer is only uncertain)"
    )
    reason: Reason | None = Field(
        default=None,
        description="why no paragraph is presented as the answer: not a question to search "
        "(no_content, greeting, thanks, goodbye, small_talk, about_interview) or what the "
        "decision found (not_mentioned, not_answered); null when answered",
    )
    hits: tuple[Hit, ...] = Field(description="the closest paragraphs, best first")
    sources: tuple[Document, ...] = Field(
        default=(),
        description="for a question about the interview itself: what is known of it",
    )
    statements: tuple[Statement, ...] = Field(
        default=(),
        description="when the hits come from several interviews and two or more of them "
        "answer: each one's statement, oldest first (an answer then shows the newest)",
    )
    # What is shown: the best hit, the closest few, or nothing.
    passages: tuple[Hit, ...] = Field(default=(), exclude=True)
    # The closest distinct interviewer questions, for "did you mean".
    nearest_questions: tuple[Hit, ...] = Field(default=(), exclude=True)
    # Where the question lands on the corpus map.
    position: tuple[float, float] = Field(default=(0.0, 0.0), exclude=True)
    # The question log's id, for feedback on this reply (the API sends it in a header).
    record_id: str | None = Field(default=None, exclude=True)
    _snapshot: Snapshot | None = PrivateAttr(default=None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def answered(self) -> bool:
        """True only when the first hit is presented as the answer."""
        return self.decision is Decision.ANSWERED

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def snapshot(self) -> Snapshot:
        """The index these hits come from (set by the service that made the reply)."""
        assert self._snapshot is not None, "a reply made outside the service has no snapshot"
        return self._snapshot

    def made_from(self, snapshot: Snapshot) -> Reply:
        self._snapshot = snapshot
        return self

    def with_record(self, record_id: str) -> Reply:
        return self.model_copy(update={"record_id": record_id})

    def trimmed(self, k: int) -> Reply:
        """The reply with its hits cut to `k` (what is shown stays)."""
        return self if len(self.hits) <= k else self.model_copy(update={"hits": self.hits[:k]})
