"""Plain-text views of replies, for the command line.

The same standard as the bot's messages, in its English wording: who asked and who
answered, a citation line, and one view for each decision.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.texts import ENGLISH as TEXTS
from records import Decision, Document, Hit, Reason, Timeline
from service.replies import Reply
from service.text import shorten

if TYPE_CHECKING:
    from service.snapshot import Snapshot

CHAT_HELP = (
    "Type a question in Russian, English or Kazakh and press Enter.\n"
    "/help  this text\n"
    "/quit  leave (or Ctrl-D)"
)
# A passage's best sentence and an interviewer question in a list.
SNIPPET_CHARS = 180
INDENT = "   "


def chat_banner(documents: Sequence[Document], width: int = 88) -> str:
    """What the chat knows, wrapped at words to the terminal's width."""
    titles = ", ".join(d.name for d in documents)
    return "\n".join(
        [*_wrapped(f"Ask about: {titles}", width), "/help for help, /quit to leave.\n"]
    )


def reply_text(reply: Reply, width: int = 88) -> str:
    """The answer, the closest passages under a caveat, or a plain "not covered"; for what
    was not a question to search, help, a friendly word, or what is known of the source."""
    if reply.reason is not None and not reply.reason.searched:
        return _not_a_question(reply, width)
    if reply.decision is Decision.ANSWERED and reply.passages:
        return _answer(reply.passages[0], reply.snapshot, width)
    if reply.decision is Decision.UNCERTAIN and reply.passages:
        return _closest(reply, width)
    return _not_covered(reply, width)


def _not_a_question(reply: Reply, width: int) -> str:
    if reply.reason is Reason.ABOUT_INTERVIEW:
        lines = [TEXTS.about_title + ":"]
        for document in reply.sources:
            lines += ["", *_wrapped(document.name, width)]
            for field, name in TEXTS.about_fields:
                value = getattr(document, field) or TEXTS.not_recorded
                lines += _wrapped(f"{name}: {value}", width, INDENT, INDENT)
        return "\n".join(lines)
    said, with_examples = TEXTS.said_to(reply.reason)
    if not with_examples:
        return "\n".join(_wrapped(said, width))
    return "\n".join([*_wrapped(said, width), *(f"  - {e}" for e in TEXTS.examples)])


def _wrapped(text: str, width: int, first: str = "", rest: str = "  ") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest) or [first]


def _cited(source: str, ids: str, width: int) -> list[str]:
    """The citation line, wrapped; the ids in brackets are never broken across lines."""
    lines = _wrapped(f"— {source}", width)
    if len(lines[-1]) + 1 + len(ids) <= width:
        return [*lines[:-1], f"{lines[-1]} {ids}"]
    return [*lines, f"  {ids}"]


def _place(hit: Hit) -> str:
    """The topic label, and the paragraph's place in its answer when it has several."""
    p = hit.paragraph
    position = TEXTS.position.format(n=p.position, m=p.count)
    return f"{hit.label} · {position}" if p.count > 1 else hit.label


def _answer(hit: Hit, snapshot: Snapshot, width: int) -> str:
    p = hit.paragraph
    citation = snapshot.cite(p)
    asker = f"Q ({citation.asker}): " if citation.asker else "Q: "
    return "\n".join(
        [
            _place(hit),
            *_wrapped(p.question, width, asker, INDENT),
            "",
            f"{citation.speaker or TEXTS.answer}:",
            *_wrapped(p.text, width, INDENT, INDENT),
            "",
            *_cited(citation.source, f"({p.id}, similarity {hit.similarity:.3f})", width),
            *([f"  {citation.link}"] if citation.link else []),
        ]
    )


def _closest(reply: Reply, width: int) -> str:
    lines = [*_unmentioned(reply), TEXTS.uncertain, ""]
    for number, hit in enumerate(reply.passages, 1):
        where = f"({hit.paragraph.id}, similarity {hit.similarity:.3f})"
        lines.append(f"{number}. {_place(hit)} {where}")
        quoted = TEXTS.term.format(term=shorten(hit.highlight, SNIPPET_CHARS))
        lines.extend(_wrapped(quoted, width, INDENT, INDENT))
    sources: dict[str, list[str]] = {}
    for hit in reply.passages:
        sources.setdefault(reply.snapshot.cite(hit.paragraph).source, []).append(hit.paragraph.id)
    lines.append("")
    for source, ids in sources.items():
        lines.extend(_cited(source, f"({', '.join(ids)})", width))
    return "\n".join(lines)


def _unmentioned(reply: Reply) -> list[str]:
    """The interview does not mention «X», when the question names words it lacks."""
    if not reply.uncovered_terms:
        return []
    terms = ", ".join(TEXTS.term.format(term=term) for term in reply.uncovered_terms)
    return [TEXTS.not_mentioned.format(terms=terms)]


def _not_covered(reply: Reply, width: int) -> str:
    lines = _unmentioned(reply) or [TEXTS.not_covered.format(query=reply.query)]
    if reply.nearest_questions:
        lines.append(TEXTS.nearest_questions)
        for hit in reply.nearest_questions:
            question = shorten(hit.paragraph.question, SNIPPET_CHARS)
            lines.extend(
                _wrapped(f"{hit.label} ({hit.paragraph.id}): {question}", width, "  - ", "    ")
            )
    return "\n".join(lines)


def timeline_text(timeline: Timeline, width: int = 88) -> str:
    """Each interview's statement on the question, oldest first: date, speaker, whether it
    answers, its best sentence, the paragraph id and link."""
    if not timeline.statements:
        return TEXTS.timeline_none.format(query=timeline.query)
    lines = [TEXTS.timeline_title.format(query=timeline.query)]
    for statement in timeline.statements:
        date = statement.date or TEXTS.date_not_recorded
        answered = statement.decision is Decision.ANSWERED
        said = TEXTS.answers_it if answered else TEXTS.may_answer_it
        speaker = statement.interviewee or TEXTS.answer
        lines += ["", *_wrapped(f"{date} · {speaker} ({said})", width)]
        quoted = TEXTS.term.format(term=shorten(statement.highlight, SNIPPET_CHARS))
        lines += _wrapped(quoted, width, INDENT, INDENT)
        lines.append(f"{INDENT}{statement.paragraph_id}  {statement.permalink}")
    return "\n".join(lines)
