"""Scoring the answer pipeline on a labelled question set.

The set is JSONL, one question a line: `{"question", "language", "expected", "note"}`, where
`expected` lists the paragraph ids a careful reader accepts as a right first answer, or is
null for a question the corpus does not answer (which should be refused).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .search import Answer, Searcher


class EvalSetError(ValueError):
    """A labelled set line that cannot be used."""


@dataclass(frozen=True)
class Labelled:
    question: str
    language: str
    expected: frozenset[str] | None  # None: off-topic, should be refused
    note: str = ""


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
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expected = raw["expected"]
            items.append(
                Labelled(
                    question=raw["question"],
                    language=raw["language"],
                    expected=None if expected is None else frozenset(expected),
                    note=raw.get("note", ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalSetError(f"{path}:{number}: not a labelled question ({exc})") from exc
    return items


def evaluate(searcher: Searcher, items: Sequence[Labelled]) -> list[Scores]:
    """Scores per language, then for all questions, in that order."""
    unknown = {i for item in items for i in item.expected or ()} - {
        p.id for p in searcher.index.paragraphs
    }
    if unknown:
        raise EvalSetError(f"labelled ids not in the index: {', '.join(sorted(unknown))}")
    answers = searcher.search_many([item.question for item in items], top_k=10)
    pairs = list(zip(items, answers, strict=True))
    languages = sorted({item.language for item in items})
    groups = [(lang, [p for p in pairs if p[0].language == lang]) for lang in languages]
    return [_score(name, group) for name, group in [*groups, ("all", pairs)]]


def first_right_rank(item: Labelled, answer: Answer) -> int | None:
    """The rank of the first acceptable hit, or None when no hit is."""
    assert item.expected is not None
    return next((h.rank for h in answer.hits if h.paragraph.id in item.expected), None)


def _score(group: str, pairs: list[tuple[Labelled, Answer]]) -> Scores:
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
