"""Scoring the answer pipeline on a labelled question set.

The set is JSONL, one question a line: `{"question", "language", "expected", "kind"}`, where
`expected` lists the paragraph ids a careful reader accepts as a right first answer, or is
null for a question the corpus does not answer, and `kind` says what sort of input it is
(tests/eval_set.jsonl's first line documents every field). Scores are per half and per
kind of input, and per language for the questions the interview answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from records import Decision
from records.errors import UserError
from retrieval.signals.terms import WORD, word_key

from .answering import AnswerService
from .replies import Reply

HALVES = ("dev", "test")
# What people type that the interview answers: an interviewer's question restated or a
# stated fact asked for, a rewording, a few keywords, a typo'd half-sentence.
ON_TOPIC_KINDS = ("canonical", "reworded", "keyword", "misspelt")
# What it does not answer: the interviewee's field but not this interview, a name it
# mentions in another context, the interview itself as a source, small talk, nothing.
NOT_COVERED_KINDS = ("near_topic", "other_context", "about_interview", "chatter", "no_content")
KINDS = ON_TOPIC_KINDS + NOT_COVERED_KINDS
# Confidence bins of the reliability table: [0, .1), [.1, .2), ... [.9, 1].
BINS = 10


class EvalSetError(UserError, ValueError):
    """A labelled set line that cannot be used."""


@dataclass(frozen=True)
class Labelled:
    question: str
    language: str
    expected: frozenset[str] | None  # None: the interview does not answer it
    note: str = ""
    kind: str = "reworded"  # one of KINDS
    topic: str = ""  # what an unanswered question is about
    absent: tuple[str, ...] = ()  # its words the interview never mentions
    half: str = "dev"  # "dev" (weights and thresholds are fitted on it) or "test"
    first: str = ""  # the best expected paragraph

    @property
    def group(self) -> str:
        """What keeps rewordings together in one half: the paragraph, or the topic."""
        return self.first if self.expected is not None else self.topic

    @property
    def scope(self) -> str:
        """ "on" (the interview answers it), "near" (the interviewee's field, not this
        interview) or "far" (anything else it does not answer)."""
        if self.expected is not None:
            return "on"
        return "near" if self.kind == "near_topic" else "far"


@dataclass(frozen=True)
class Scores:
    """What one group of questions in one half got.

    On-topic groups are the languages and the on-topic kinds; the other groups are the kinds
    of input the interview does not answer. Shares are of the group's questions; a measure
    that means nothing for the group is None.
    """

    half: str
    group: str
    questions: int
    answered: float  # a paragraph presented as the answer
    uncertain: float
    not_covered: float
    wrong_answer: float | None = None  # on-topic, answered with a paragraph that is not right
    top1: float | None = None  # the best hit is right, whatever the decision
    top3: float | None = None
    mrr: float | None = None
    precision: float | None = None  # of the answered, the share whose best hit is right
    right_shown: float | None = None  # the right paragraph is among the passages shown
    shown: float | None = None  # passages shown per question
    named: float | None = None  # not-covered replies that name the missing words
    # Of those whose question has labelled absent words, the share naming one of them.
    named_absent: float | None = None


def load_eval_set(path: Path) -> list[Labelled]:
    """The labelled questions, each in the half that the file's rule puts it in."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if "_about" in raw or raw.get("reviewed", True) is False:
                continue  # the file's description; or an exported line nobody checked yet
            items.append(_labelled(raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalSetError(f"{path}:{number}: not a labelled question ({exc})") from exc
    return _split(items)


def _labelled(raw: dict[str, Any]) -> Labelled:
    expected = raw["expected"]
    if expected is not None and (not isinstance(expected, list) or not expected):
        raise ValueError("'expected' must be a non-empty list of paragraph ids, or null")
    kind = raw.get("kind") or _older_kind(raw)
    allowed = ON_TOPIC_KINDS if expected is not None else NOT_COVERED_KINDS
    if kind not in allowed:
        raise ValueError(f"'kind' must be one of {', '.join(allowed)} here, not {kind!r}")
    return Labelled(
        question=raw["question"],
        language=raw["language"],
        expected=None if expected is None else frozenset(expected),
        note=raw.get("note", ""),
        kind=kind,
        topic=raw.get("topic", "") if expected is None else "",
        absent=tuple(raw.get("absent", ())),
        first=expected[0] if expected else "",
    )


def _older_kind(raw: dict[str, Any]) -> str:
    """A line without a kind (written before kinds, or exported from feedback)."""
    if raw["expected"] is not None:
        return "reworded"
    return "near_topic" if raw.get("scope") == "near" else "other_context"


def _split(items: list[Labelled]) -> list[Labelled]:
    """Groups take turns, dev then test, in the order they first appear in the file."""
    halves: dict[str, str] = {}
    for item in items:
        halves.setdefault(item.group, HALVES[len(halves) % 2])
    return [replace(item, half=halves[item.group]) for item in items]


def answer_all(service: AnswerService, items: Sequence[Labelled]) -> list[Reply]:
    """The service's reply to every labelled question, refusing labels the index lacks."""
    unknown = {i for item in items for i in item.expected or ()} - {
        p.id for p in service.snapshot.corpus.paragraphs
    }
    if unknown:
        raise EvalSetError(f"labelled ids not in the index: {', '.join(sorted(unknown))}")
    return service.answer([service.check(item.question) for item in items], top_k=10)


def evaluate(items: Sequence[Labelled], replies: Sequence[Reply]) -> list[Scores]:
    """Scores per half (dev, then test): the on-topic questions by language, then all of
    them, then each kind of input."""
    pairs = list(zip(items, replies, strict=True))
    languages = sorted({item.language for item in items if item.scope == "on"})
    scores = []
    for half in HALVES:
        mine = [(item, reply) for item, reply in pairs if item.half == half]
        for language in languages:
            group = [p for p in mine if p[0].scope == "on" and p[0].language == language]
            scores.append(_on_topic(half, language, group))
        scores.append(_on_topic(half, "on-topic", [p for p in mine if p[0].scope == "on"]))
        for kind in ON_TOPIC_KINDS:
            scores.append(_on_topic(half, kind, [p for p in mine if p[0].kind == kind]))
        for kind in NOT_COVERED_KINDS:
            scores.append(_uncovered(half, kind, [p for p in mine if p[0].kind == kind]))
    return [s for s in scores if s.questions]


@dataclass(frozen=True)
class Reliability:
    """How often the first hit is right for replies in one confidence bin: a calibrated
    confidence of .7 is right about 70% of the time."""

    half: str
    language: str
    low: float  # the bin is [low, low + 1/BINS)
    questions: int
    right: float  # share whose first hit is a right answer (never, when not covered)
    confidence: float  # their mean confidence


def reliability(items: Sequence[Labelled], replies: Sequence[Reply]) -> list[Reliability]:
    """The reliability table: per half and language, confidence bins against the share of
    replies whose first hit is right."""
    rows = []
    pairs = list(zip(items, replies, strict=True))
    for half in HALVES:
        for language in sorted({item.language for item in items}):
            mine = [(i, r) for i, r in pairs if i.half == half and i.language == language]
            for b in range(BINS):
                low = b / BINS
                in_bin = [(i, r) for i, r in mine if min(int(r.confidence * BINS), BINS - 1) == b]
                if not in_bin:
                    continue
                right = [first_right_rank(i, r) == 1 if i.expected else False for i, r in in_bin]
                rows.append(
                    Reliability(
                        half,
                        language,
                        low,
                        len(in_bin),
                        _share(sum(right), len(in_bin)),
                        _share(sum(r.confidence for _, r in in_bin), len(in_bin)),
                    )
                )
    return rows


def first_right_rank(item: Labelled, reply: Reply) -> int | None:
    """The rank of the first acceptable hit, or None when no hit is."""
    assert item.expected is not None
    return next((h.rank for h in reply.hits if h.paragraph.id in item.expected), None)


def _share(count: float, total: int) -> float:
    return count / total if total else float("nan")


def _decisions(half: str, group: str, replies: list[Reply]) -> Scores:
    n = len(replies)
    return Scores(
        half=half,
        group=group,
        questions=n,
        answered=_share(sum(r.decision is Decision.ANSWERED for r in replies), n),
        uncertain=_share(sum(r.decision is Decision.UNCERTAIN for r in replies), n),
        not_covered=_share(sum(r.decision is Decision.NOT_COVERED for r in replies), n),
    )


def _on_topic(half: str, group: str, pairs: list[tuple[Labelled, Reply]]) -> Scores:
    n = len(pairs)
    ranks = [first_right_rank(item, reply) for item, reply in pairs]
    answered = [r == 1 for (_, reply), r in zip(pairs, ranks, strict=True) if reply.answered]
    shown = [
        any(h.paragraph.id in (item.expected or ()) for h in reply.passages)
        for item, reply in pairs
    ]
    return replace(
        _decisions(half, group, [reply for _, reply in pairs]),
        wrong_answer=_share(len(answered) - sum(answered), n),
        top1=_share(sum(r == 1 for r in ranks), n),
        top3=_share(sum(r is not None and r <= 3 for r in ranks), n),
        mrr=_share(sum(1 / r if r else 0.0 for r in ranks), n),
        precision=_share(sum(answered), len(answered)),
        right_shown=_share(sum(shown), n),
        shown=_share(sum(len(reply.passages) for _, reply in pairs), n),
    )


def _uncovered(half: str, group: str, pairs: list[tuple[Labelled, Reply]]) -> Scores:
    replies = [reply for _, reply in pairs]
    refused = [(i, r) for i, r in pairs if r.decision is Decision.NOT_COVERED]
    labelled = [(_words(i.absent), _words(r.uncovered_terms)) for i, r in refused if i.absent]
    return replace(
        _decisions(half, group, replies),
        named=_share(sum(bool(r.uncovered_terms) for _, r in refused), len(refused)),
        named_absent=_share(sum(bool(a & n) for a, n in labelled), len(labelled))
        if labelled
        else None,
    )


def _words(phrases: Sequence[str]) -> set[str]:
    return {word_key(w) for phrase in phrases for w in WORD.findall(phrase)}
