"""Plain-text views of replies and scores, for the command line."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from service.decision import Decision
from service.records import Document, Hit
from service.replies import Reply

CHAT_HELP = (
    "Type a question in Russian, English or Kazakh and press Enter.\n"
    "/help  this text\n"
    "/quit  leave (or Ctrl-D)"
)


def chat_banner(documents: Sequence[Document]) -> str:
    titles = ", ".join(d.title for d in documents)
    return f"Ask about: {titles}\n/help for help, /quit to leave.\n"


def reply_text(reply: Reply, width: int = 88) -> str:
    """The answer, the closest passages with a caveat, or a plain "not covered"."""
    best = reply.best
    if best is None:
        return "The index is empty."
    if reply.decision is Decision.NOT_COVERED:
        return _not_covered(reply)
    lines = []
    if reply.decision is Decision.UNCERTAIN:
        lines.append("Closest passages; the interview may not answer this directly.")
        lines.append("")
    for hit in reply.passages:
        lines.extend(_passage(hit, reply, width))
    return "\n".join(lines).rstrip()


def _not_covered(reply: Reply) -> str:
    if reply.uncovered_terms:
        lines = [f"The interview does not mention {', '.join(reply.uncovered_terms)}."]
    else:
        lines = ["The interview does not cover this question."]
    if reply.nearest_questions:
        lines.append("The interviewer asked:")
        lines.extend(f"  - {shorten(h.paragraph.question, 120)}" for h in reply.nearest_questions)
    return "\n".join(lines)


def _passage(hit: Hit, reply: Reply, width: int) -> list[str]:
    p = hit.paragraph
    title = reply.snapshot.document(p.document).title
    lines = [f"Q: {p.question}"]
    if p.section:
        lines.append(f"[{p.section}]")
    lines.append("")
    lines.extend(textwrap.wrap(p.text, width) or [""])
    lines.append("")
    lines.append(
        f"— {title}, answer {p.answer_no}, paragraph {p.position} of {p.count} "
        f"({p.id}, score {hit.score:.3f})"
    )
    lines.append("")
    return lines


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
