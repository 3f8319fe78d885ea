"""Plain-text and JSON views of answers, for the command line."""

from __future__ import annotations

import textwrap
from typing import Any

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
