"""The owner's report from the question log: what was asked, what the interview could not
answer (grouped by meaning), which answers users thought wrong, and what users preferred.

Unanswered questions are grouped by their embeddings with complete-linkage clustering: a
group's questions are all within `GROUP_DISTANCE` (cosine distance) of each other. The
distance was chosen on the dev half of the labelled set's uncovered questions, grouping
them by topic (adjusted Rand index 0.34 on dev, 0.14 on test, where "ВТО", "WTO" and
"ДСҰ" of one topic rarely meet across languages): groups are about one subject, and the
same subject in two languages may show as two groups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from questionlog.queries import downvoted, questions_per_day, unanswered, vote_counts
from questionlog.records import DayCount, Question, QuestionWithFeedback, VoteCounts
from questionlog.store import Store

# Question texts to normalised vectors (the encoder's queries()).
Embed = Callable[[Sequence[str]], np.ndarray]

GROUP_DISTANCE = 0.14
EXAMPLES = 3


@dataclass(frozen=True)
class QuestionGroup:
    """Questions of one meaning: how many, and a few of their wordings."""

    count: int
    examples: tuple[str, ...]
    decisions: tuple[str, ...]  # of the examples, in order


@dataclass(frozen=True)
class Report:
    since: date
    days: tuple[DayCount, ...]
    unanswered: tuple[QuestionGroup, ...]  # not covered or uncertain, biggest group first
    downvoted: tuple[QuestionWithFeedback, ...]
    votes: VoteCounts

    @property
    def up_share(self) -> float | None:
        total = self.votes.up + self.votes.down
        return self.votes.up / total if total else None


def build_report(store: Store, embed: Embed, since: date) -> Report:
    """The report since `since`; `embed` (question texts to vectors) is called only when
    there are unanswered questions to group, so the model need not load otherwise."""
    return Report(
        since=since,
        days=tuple(questions_per_day(store, since)),
        unanswered=tuple(group_questions(unanswered(store, since), embed)),
        downvoted=tuple(downvoted(store, since)),
        votes=vote_counts(store, since),
    )


def group_questions(questions: Sequence[Question], embed: Embed) -> list[QuestionGroup]:
    """Questions grouped by meaning, biggest group first; within one, the most recent first."""
    if not questions:
        return []
    labels = _cluster(embed([q.text for q in questions]))
    groups: dict[int, list[Question]] = {}
    for label, question in zip(labels, questions, strict=True):
        groups.setdefault(int(label), []).append(question)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), -g[-1].at.timestamp()))
    return [_group(members) for members in ordered]


def _cluster(vectors: np.ndarray) -> np.ndarray:
    if len(vectors) == 1:
        return np.zeros(1, int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors, "complete", metric="cosine")
    return fcluster(tree, GROUP_DISTANCE, "distance")


def _group(members: list[Question]) -> QuestionGroup:
    # Distinct wordings, most recent first: repeats of one wording tell the owner nothing new.
    wordings: dict[str, Question] = {}
    for question in reversed(members):
        wordings.setdefault(" ".join(question.text.split()).casefold(), question)
    examples = list(wordings.values())[:EXAMPLES]
    return QuestionGroup(
        count=len(members),
        examples=tuple(q.text for q in examples),
        decisions=tuple(q.decision for q in examples),
    )
