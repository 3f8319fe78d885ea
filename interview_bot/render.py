"""Plain-text and JSON views of answers, for the command line."""

from __future__ import annotations

import textwrap
from typing import Any

from retrieval.evaluation import Scores
from retrieval.search import Answer, Hit


def hit_json(hit: Hit) -> dict[str, Any]:
    p = hit.paragraph
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),
        "text": p.text,
        "question": p.question,
        "section": p.section,
        "document": p.document,
        "paragraph_id": p.id,
        "highlight": hit.highlight,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "query": answer.query,
        "answered": answer.answered,
        "hits": [hit_json(h) for h in answer.hits],
    }


def answer_text(answer: Answer, title: str, width: int = 88) -> str:
    """The best paragraph, its interviewer question and score; says so below the threshold."""
    best = answer.best
    if best is None:
        return "The index is empty."
    lines = []
    if not answer.answered:
        lines.append(f"No close answer in the interview (best score {best.score:.3f}). Nearest:")
    p = best.paragraph
    lines.append(f"Q: {p.question}")
    if p.section:
        lines.append(f"[{p.section}]")
    lines.append("")
    lines.extend(textwrap.wrap(p.text, width) or [""])
    lines.append("")
    lines.append(
        f"— {title}, answer {p.answer_no}, paragraph {p.position} of {p.count} "
        f"({p.id}, score {best.score:.3f})"
    )
    return "\n".join(lines)


def scores_table(scores: list[Scores]) -> str:
    """An aligned table of evaluation scores, one row a group."""
    header = ("group", "on", "top-1", "top-3", "MRR", "wrongly refused", "off", "off refused")
    rows = [
        (
            s.group,
            str(s.on_topic),
            f"{s.top1:.3f}",
            f"{s.top3:.3f}",
            f"{s.mrr:.3f}",
            f"{s.wrongly_refused:.3f}",
            str(s.off_topic),
            f"{s.off_topic_refused:.3f}",
        )
        for s in scores
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]
    )
