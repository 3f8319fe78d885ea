"""The owner's report from the question log: what was asked, what the interview could not
answer (grouped by meaning), which answers users thought wrong, and what users preferred.

Unanswered questions are grouped by their embeddings with complete-linkage clustering: a
group's questions are all within `GROUP_DISTANCE` (cosine distance) of each other. The
distance was chosen on the dev half of the labelled set's uncovered questions, grouping
them by topic (adjusted Rand index 0.34 on dev, 0.14 on test, where "ВТО", "WTO" and
"ДСҰ" of one topic rarely meet across languages): groups are about one subject, and the
same subject in two languages may show as two groups.

It works on any size of log in bounded memory and in time linear in the questions:

- vectors: each question's vector as the service computed it when it answered, kept in
  the log; only questions without one (logged before vectors were kept, or by another
  model) are encoded, each distinct wording once, in fixed batches;
- up to `EXACT_MAX` questions, exact complete linkage (its distance matrix is O(n²));
- beyond, sampled rounds: complete linkage over a random sample of `SAMPLE` of the
  questions not yet grouped, then every question not yet grouped joins the sample group
  all of whose members are within the distance (the closest such group), in chunks; the
  rest go to the next round. Questions still alone after `ROUNDS` rounds, or once a round
  groups almost none of those it saw (the rest are one of a kind), stay alone. Time is
  O(ROUNDS · n · SAMPLE · d), memory O(SAMPLE² + CHUNK · SAMPLE) beside the vectors (n · d
  float16): 20,000 questions in seconds; 1,000,000 in a few minutes and under 1 GB of
  vectors (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from questionlog.queries import downvoted, questions_per_day, unanswered, vote_counts
from questionlog.records import DayCount, Question, QuestionWithFeedback, VoteCounts
from questionlog.store import Store

from .vectors import unpack

# Question texts to normalised vectors (the encoder's question_vectors()).
Embed = Callable[[Sequence[str]], np.ndarray]

GROUP_DISTANCE = 0.14
EXAMPLES = 3
EXACT_MAX = 2000
SAMPLE = 2000
ROUNDS = 8
CHUNK = 4096
# A round that groups fewer than this share of the questions it looked at ends the rounds.
MIN_GROUPED = 0.02


@dataclass(frozen=True)
class QuestionGroup:
    """Questions of one meaning: how many, and a few of their wordings."""

    count: int
    examples: tuple[str, ...]
    decisions: tuple[str, ...]  # of the examples, in order


@dataclass(frozen=True)
class Downvoted:
    """One answer marked 👎: the question (as first worded), the paragraph shown, how often
    it was asked and marked, and the paragraphs users opened instead, most opened first."""

    text: str
    shown: str | None
    count: int
    preferred: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    since: date
    days: tuple[DayCount, ...]
    unanswered: tuple[QuestionGroup, ...]  # not covered or uncertain, biggest group first
    downvoted: tuple[Downvoted, ...]  # most often first
    votes: VoteCounts

    @property
    def up_share(self) -> float | None:
        total = self.votes.up + self.votes.down
        return self.votes.up / total if total else None


def build_report(store: Store, embed: Embed, since: date, tag: str | None = None) -> Report:
    """The report since `since`; `embed` (question texts to vectors) is called only for
    unanswered questions without a stored vector of the model `tag` names, so the model
    need not load otherwise."""
    return Report(
        since=since,
        days=tuple(questions_per_day(store, since)),
        unanswered=tuple(group_questions(unanswered(store, since), embed, tag)),
        downvoted=tuple(group_downvoted(downvoted(store, since))),
        votes=vote_counts(store, since),
    )


def group_downvoted(rows: Sequence[QuestionWithFeedback]) -> list[Downvoted]:
    """The same question marked 👎 on the same paragraph, however often, as one line with a
    count: words compared regardless of case and spacing."""
    groups: dict[tuple[str, str | None], list[QuestionWithFeedback]] = {}
    for row in rows:
        shown = row.question.hits[0][0] if row.question.hits else None
        key = (" ".join(row.question.text.casefold().split()), shown)
        groups.setdefault(key, []).append(row)
    found = []
    for (_, shown), members in groups.items():
        opened = Counter(m.preferred_paragraph_id for m in members if m.preferred_paragraph_id)
        preferred = tuple(paragraph for paragraph, _ in opened.most_common())
        found.append(Downvoted(members[0].question.text, shown, len(members), preferred))
    return sorted(found, key=lambda d: -d.count)


def group_questions(
    questions: Sequence[Question], embed: Embed, tag: str | None = None
) -> list[QuestionGroup]:
    """Questions grouped by meaning, biggest group first; within one, the most recent first."""
    if not questions:
        return []
    labels = cluster(question_vectors(questions, embed, tag))
    groups: dict[int, list[Question]] = {}
    for label, question in zip(labels, questions, strict=True):
        groups.setdefault(int(label), []).append(question)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), -g[-1].at.timestamp()))
    return [_group(members) for members in ordered]


def question_vectors(questions: Sequence[Question], embed: Embed, tag: str | None) -> np.ndarray:
    """[n, d] normalised: the stored vector of each question made by the model `tag` names,
    else its wording encoded (each distinct wording once)."""
    stored: dict[int, np.ndarray] = {}
    if tag is not None:
        for i, q in enumerate(questions):
            if q.vector is not None and q.vector_model == tag:
                vector = unpack(q.vector)
                if vector is not None and len(vector):
                    stored[i] = vector
    missing = sorted({q.text for i, q in enumerate(questions) if i not in stored})
    encoded = dict(zip(missing, embed(missing), strict=True)) if missing else {}
    matrix = np.stack(
        [
            np.asarray(stored.get(i, encoded.get(q.text)), np.float32)
            for i, q in enumerate(questions)
        ]
    )
    # float16 storage leaves them a hair off unit length.
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return matrix


def cluster(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """A group label per row of normalised `vectors` (see the module's docstring)."""
    n = len(vectors)
    if n <= EXACT_MAX:
        return _linkage(vectors)
    rng = np.random.default_rng(seed)
    labels = np.full(n, -1, np.int64)
    remaining = np.arange(n)
    next_label = 0
    for _ in range(ROUNDS):
        if len(remaining) <= EXACT_MAX:
            labels[remaining] = _linkage(vectors[remaining]) + next_label
            return labels
        sample = np.sort(rng.choice(remaining, SAMPLE, replace=False))
        sample_labels = _linkage(vectors[sample])
        order = np.argsort(sample_labels, kind="stable")
        members = vectors[sample[order]]
        starts = np.flatnonzero(np.r_[True, np.diff(sample_labels[order]) != 0])
        for begin in range(0, len(remaining), CHUNK):
            rows = remaining[begin : begin + CHUNK]
            # Each row's least similarity to each group's members: complete linkage's test.
            least = np.minimum.reduceat(vectors[rows] @ members.T, starts, axis=1)
            best = least.argmax(axis=1)
            joins = least[np.arange(len(rows)), best] >= 1.0 - GROUP_DISTANCE
            labels[rows[joins]] = best[joins] + next_label
        next_label += len(starts)
        grouped = np.count_nonzero(labels[remaining] >= 0) - SAMPLE
        remaining = remaining[labels[remaining] < 0]
        if grouped < MIN_GROUPED * (len(remaining) + grouped):
            break
    labels[remaining] = np.arange(len(remaining)) + next_label
    return labels


def _linkage(vectors: np.ndarray) -> np.ndarray:
    """Exact complete linkage cut at GROUP_DISTANCE: labels from 0."""
    if len(vectors) <= 1:
        return np.zeros(len(vectors), np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors.astype(np.float64), "complete", metric="cosine")
    return np.asarray(fcluster(tree, GROUP_DISTANCE, "distance"), np.int64) - 1


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
