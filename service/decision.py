"""From a ranking to a decision: answered, uncertain, or not covered."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from retrieval.search import Ranking


class Decision(StrEnum):
    ANSWERED = "answered"  # the best paragraph is the minister's answer
    UNCERTAIN = "uncertain"  # the interview may answer it: the closest passages, with a caveat
    NOT_COVERED = "not_covered"  # the interview does not cover the question


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    confidence: float
    shown: int  # how many of the best hits to show
    uncovered_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    threshold: float

    def decide(self, ranking: Ranking) -> Verdict:
        best = ranking.best
        if best is None or best.score < self.threshold:
            return Verdict(Decision.NOT_COVERED, 0.0, 0)
        return Verdict(Decision.ANSWERED, best.score, 1)
