"""Scoring the answer pipeline on a labelled question set.

The set is JSONL, one question a line: `{"question", "language", "expected", "note"}`, where
`expected` lists the paragraph ids a careful reader accepts as a right first answer, or is
null for a question the corpus does not answer (which should be refused).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .answering import AnswerService
from .replies import Reply

HALVES = ("dev", "test")


class EvalSetError(ValueError):
    """A labelled set line that cannot be used."""


@dataclass(frozen=True)
class Labelled:
    question: str
    language: str
    expected: frozenset[str] | None  # None: the interview does not answer it
    note: str = ""
    scope: str = "on"  # "on" (answered by the interview), "near" or "far" (not answered)
    topic: str = ""  # what an unanswered question is about
    absent: tuple[str, ...] = ()  # its words the interview never mentions
    half: str = "dev"  # "dev" (weights and thresholds are fitted on it) or "test"
    first: str = ""  # the best expected paragraph

    @property
    def group(self) -> str:
        """What keeps rewordings together in one half: the paragraph, or the topic."""
        return self.first if self.expected is not None else self.topic


@dataclass(frozen=True)
class Scores:
    """Retrieval quality of one group of questions (a language, or all of them)."""

    group: str
    on_topic: int
    top1: float
    top3: float
    mrr: float
    wrongly_refused: float  # share of on-topic questions below the threshold
    off_topic: int
    off_topic_refused: float  # share of off-topic questions below the threshold


def load_eval_set(path: Path) -> list[Labelled]:
    """The labelled questions, each in the half that the file's rule puts it in."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if "_about" in raw:
                continue  # the file's description, and the split rule
            items.append(_labelled(raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalSetError(f"{path}:{number}: not a labelled question ({exc})") from exc
    return _split(items)


def _labelled(raw: dict[str, Any]) -> Labelled:
    expected = raw["expected"]
    if expected is not None and (not isinstance(expected, list) or not expected):
        raise ValueError("'expected' must be a non-empty list of paragraph ids, or null")
    scope = "on" if expected is not None else raw.get("scope", "far")
    if scope not in ("on", "near", "far") or (scope == "on") != (expected is not None):
        raise ValueError(f"'scope' must be near or far on an unanswered question, not {scope!r}")
    return Labelled(
        question=raw["question"],
        language=raw["language"],
        expected=None if expected is None else frozenset(expected),
        note=raw.get("note", ""),
        scope=scope,
        topic=raw.get("topic", "") if expected is None else "",
        absent=tuple(raw.get("absent", ())),
        first=expected[0] if expected else "",
    )


def _split(items: list[Labelled]) -> list[Labelled]:
    """Groups take turns, dev then test, in the order they first appear in the file."""
    halves: dict[str, str] = {}
    for item in items:
        halves.setdefault(item.group, HALVES[len(halves) % 2])
    return [replace(item, half=halves[item.group]) for item in items]


def evaluate(service: AnswerService, items: Sequence[Labelled]) -> list[Scores]:
    """Scores per language, then for all questions, in that order."""
    unknown = {i for item in items for i in item.expected or ()} - {
        p.id for p in service.snapshot.paragraphs
    }
    if unknown:
        raise EvalSetError(f"labelled ids not in the index: {', '.join(sorted(unknown))}")
    answers = service.answer([item.question for item in items], top_k=10)
    pairs = list(zip(items, answers, strict=True))
    languages = sorted({item.language for item in items})
    groups = [(lang, [p for p in pairs if p[0].language == lang]) for lang in languages]
    return [_score(name, group) for name, group in [*groups, ("all", pairs)]]


def first_right_rank(item: Labelled, answer: Reply) -> int | None:
    """The rank of the first acceptable hit, or None when no hit is."""
    assert item.expected is not None
    return next((h.rank for h in answer.hits if h.paragraph.id in item.expected), None)


def _score(group: str, pairs: list[tuple[Labelled, Reply]]) -> Scores:
    on = [(item, answer) for item, answer in pairs if item.expected is not None]
    off = [answer for item, answer in pairs if item.expected is None]
    ranks = [first_right_rank(item, answer) for item, answer in on]

    def share(count: float, total: int) -> float:
        return count / total if total else float("nan")

    return Scores(
        group=group,
        on_topic=len(on),
        top1=share(sum(r == 1 for r in ranks), len(on)),
        top3=share(sum(r is not None and r <= 3 for r in ranks), len(on)),
        mrr=share(sum(1 / r if r else 0.0 for r in ranks), len(on)),
        wrongly_refused=share(sum(not a.answered for _, a in on), len(on)),
        off_topic=len(off),
        off_topic_refused=share(sum(not a.answered for a in off), len(off)),
    )
