"""The service's answer to a question: what to show, and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.search import Hit

from .decision import Decision
from .snapshot import Snapshot


@dataclass(frozen=True)
class Reply:
    query: str
    decision: Decision
    confidence: float  # calibrated probability that the best hit is a right answer
    hits: tuple[Hit, ...]  # best first
    passages: tuple[Hit, ...]  # what is shown: the best hit, the closest few, or nothing
    # Words of the question the interview never mentions: why it is not covered.
    uncovered_terms: tuple[str, ...]
    # The closest distinct interviewer questions, for "did you mean".
    nearest_questions: tuple[Hit, ...]
    position: tuple[float, float]  # where the question lands on the snapshot's corpus map
    snapshot: Snapshot = field(repr=False)  # the index these hits come from
    record_id: str | None = None  # the question log's id, for feedback on this reply

    @property
    def answered(self) -> bool:
        return self.decision is Decision.ANSWERED

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None
