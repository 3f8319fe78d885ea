"""The bot's messages as Telegram HTML: pure functions from search results to message texts.

Every piece of corpus or user text goes through html.escape. A message is built from
blocks (paragraph-level pieces, separated by a blank line) made of spans (text with at
most one tag). Replies over Telegram's length limit are split between blocks or at
sentence ends; a split never falls inside a tag or an entity, because a span is cut as
plain text first, and each piece escaped and wrapped in the span's tag afterwards.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import InlineQueryResultArticle, InputTextMessageContent

from service.answering import ServiceStats
from service.decision import Decision
from service.questions import QuestionError
from service.records import Document, Hit, Manifest, Paragraph

from .texts import Texts

if TYPE_CHECKING:
    from .context import BotStats

MAX_MESSAGE_CHARS = 4096
SNIPPET_CHARS = 200
ELLIPSIS = "…"

# A sentence ends at . ! ? or …, possibly followed by a closing quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'»”)\]])\s+")
_SPACE = re.compile(r"\s+")
_SPLITTERS = (_SENTENCE_END, _SPACE)
_BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Span:
    text: str  # plain text, escaped when rendered
    tag: str = ""  # "", "b", "i" or "a"
    href: str = ""

    def html(self, text: str | None = None) -> str:
        body = html.escape(self.text if text is None else text, quote=False)
        if self.tag == "a":
            return f'<a href="{html.escape(self.href)}">{body}</a>'
        return f"<{self.tag}>{body}</{self.tag}>" if self.tag else body


Block = Sequence[Span]


def _length(text: str) -> int:
    # Telegram counts UTF-16 code units; counting the HTML source is the safe upper bound.
    return len(text.encode("utf-16-le")) // 2


def pack(blocks: Sequence[Block], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The blocks as the fewest HTML messages of at most `limit` characters each.

    A block that fits in the current message joins it. One that does not starts the next
    message if this one is at least half full; otherwise (and when it is longer than a
    message) it is cut at sentence ends to fill the messages, so that a heading does not
    end up alone.
    """
    packer = _Packer(limit)
    for block in blocks:
        whole = "".join(span.html() for span in block)
        if _length(whole) <= packer.room(_BLOCK_SEPARATOR) or (
            _length(whole) <= limit and 2 * _length(packer.current) >= limit
        ):
            packer.add(_BLOCK_SEPARATOR, whole)
            continue
        separator = _BLOCK_SEPARATOR
        for span in block:
            for piece in _pieces(span.text, _fits(span, limit)):
                packer.add(separator, span.html(piece))
                separator = ""  # pieces keep their whitespace, spans of a block are contiguous
    packer.flush()
    return packer.chunks


class _Packer:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[str] = []
        self.current = ""

    def room(self, separator: str) -> int:
        """What is left in the current message for a unit after `separator`."""
        if not self.current:
            return self.limit
        return self.limit - _length(self.current) - _length(separator)

    def add(self, separator: str, unit: str) -> None:
        if self.current and _length(unit) <= self.room(separator):
            self.current += separator + unit
            return
        self.flush()
        self.current = unit

    def flush(self) -> None:
        # Telegram trims each message anyway; trimmed, the pieces' trailing spaces go too.
        # A message that would show only whitespace (a long blank run cut into one, inside
        # tags) is dropped: Telegram refuses it as empty.
        if _visible(self.current).strip():
            self.chunks.append(self.current.strip())
        self.current = ""


def _visible(html_text: str) -> str:
    """The text a message built here shows: its tags removed, its entities decoded."""
    # Safe on our own HTML only: text and attributes are escaped, so "<" always opens a tag.
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


def _fits(span: Span, limit: int) -> Callable[[str], bool]:
    return lambda text: _length(span.html(text)) <= limit


def _split_after(pattern: re.Pattern[str], text: str) -> list[str]:
    """`text` cut after each match of `pattern`, which stays at the end of its piece."""
    pieces, start = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def _pieces(
    text: str, fits: Callable[[str], bool], splitters: Sequence[re.Pattern[str]] = _SPLITTERS
) -> list[str]:
    """`text` cut after every sentence; a sentence too long for a message after every
    space; a word too long for one, anywhere. Joined, the pieces give `text` back."""
    if not splitters:
        return _cut_anywhere(text, fits)
    pieces: list[str] = []
    for part in _split_after(splitters[0], text):
        pieces.extend([part] if fits(part) else _pieces(part, fits, splitters[1:]))
    return pieces


def _cut_anywhere(text: str, fits: Callable[[str], bool]) -> list[str]:
    pieces = []
    while text:
        # The longest prefix that fits, by bisection: `fits` is monotonic in the length.
        low, high = 1, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(text[:middle]):
                low = middle
            else:
                high = middle - 1
        pieces.append(text[:low])
        text = text[low:]
    return pieces


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word end, with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + ELLIPSIS


def _lines(*lines: Sequence[Span]) -> Block:
    """Spans of several lines as one block."""
    block: list[Span] = []
    for line in lines:
        if block:
            block.append(Span("\n"))
        block.extend(line)
    return block


def _title(document: Document) -> Span:
    if document.source_url:
        return Span(document.title, "a", document.source_url)
    return Span(document.title)


def _source(document: Document, texts: Texts) -> list[Span]:
    before, _, after = texts.source.partition("{title}")
    return [Span(before), _title(document), Span(after)]


def _heading(paragraph: Paragraph) -> Block:
    if paragraph.section:
        return _lines([Span(paragraph.question, "b")], [Span(paragraph.section, "i")])
    return [Span(paragraph.question, "b")]


def _position(paragraph: Paragraph, texts: Texts) -> Span:
    return Span(texts.position.format(n=paragraph.position, m=paragraph.count))


def _highlighted(text: str, highlight: str | None) -> Block:
    """The text with the highlight sentence in bold; plain when the highlight is all of it,
    since bold throughout would stress nothing."""
    start = text.find(highlight) if highlight and highlight.strip() else -1
    if highlight is None or start < 0 or highlight.strip() == text.strip():
        return [Span(text)]
    end = start + len(highlight)
    return [Span(text[:start]), Span(highlight, "b"), Span(text[end:])]


def _answer_blocks(
    paragraph: Paragraph,
    document: Document,
    texts: Texts,
    text: str | None = None,
    highlight: str | None = None,
) -> list[Block]:
    return [
        _heading(paragraph),
        _highlighted(paragraph.text if text is None else text, highlight),
        _lines(_source(document, texts), [_position(paragraph, texts)]),
    ]


def answer(
    paragraph: Paragraph, document: Document, texts: Texts, highlight: str | None = None
) -> list[str]:
    """One paragraph, headed by its interviewer question and section, with its source; the
    sentence closest to the question (`highlight`) in bold."""
    return pack(_answer_blocks(paragraph, document, texts, highlight=highlight))


def whole_answer(paragraphs: Sequence[Paragraph], document: Document, texts: Texts) -> list[str]:
    """Every paragraph of one interview answer, in order, with its question and source."""
    return pack(
        [
            _heading(paragraphs[0]),
            *([Span(p.text)] for p in paragraphs),
            _source(document, texts),
        ]
    )


def _ranked(hit: Hit) -> Block:
    return _lines(
        [Span(f"{hit.rank}. "), Span(hit.paragraph.question, "b")],
        [Span(shorten(hit.paragraph.text, SNIPPET_CHARS))],
    )


def other_answers(query: str, hits: Sequence[Hit], texts: Texts) -> list[str]:
    """The hits other than the one shown, numbered by rank like their buttons, as snippets."""
    title = [Span(texts.others_title.format(query=query))]
    return pack([title, *(_ranked(hit) for hit in hits)])


def no_answer(query: str, nearest: Sequence[Hit], texts: Texts) -> list[str]:
    """A plain "no close answer", and the nearest interviewer questions if there are any."""
    blocks: list[Block] = [[Span(texts.no_answer.format(query=query))]]
    if nearest:
        questions = [
            [Span(f"{number}. {hit.paragraph.question}")] for number, hit in enumerate(nearest, 1)
        ]
        blocks.append(_lines([Span(texts.did_you_mean)], *questions))
    return pack(blocks)


def _bullets(items: Sequence[Sequence[Span]]) -> Block:
    return _lines(*([Span("• "), *item] for item in items))


def start(documents: Sequence[Document], username: str, texts: Texts) -> list[str]:
    """What the bot knows, how to ask, and example questions."""
    return pack(
        [
            [Span(texts.intro)],
            _bullets([[Span(d.title, "b")] for d in documents]),
            *_how_to_ask(username, texts),
            _lines([Span(texts.examples_title)], *([Span(f"— {e}")] for e in texts.examples)),
        ]
    )


def _how_to_ask(username: str, texts: Texts) -> list[Block]:
    mention = f"@{username}"
    return [
        [Span(texts.how_to_ask)],
        [Span(texts.in_groups.format(username=mention))],
        [Span(texts.inline_mode.format(username=mention))],
    ]


def help_text(username: str, texts: Texts) -> list[str]:
    """How to ask, and the commands."""
    commands = [[Span(f"/{command} — {description}")] for command, description in texts.commands]
    return pack([*_how_to_ask(username, texts), _lines(*commands)])


def about(documents: Sequence[Document], texts: Texts) -> list[str]:
    """The sources: title (linked when there is a URL), interviewee and date when known."""
    entries = []
    for document in documents:
        details = ", ".join(d for d in (document.interviewee, document.date) if d)
        entry: list[Span] = [_title(document)]
        if details:
            entry.append(Span(f" ({details})"))
        entries.append(entry)
    return pack([[Span(texts.sources_title, "b")], _bullets(entries)])


def notice(text: str) -> str:
    """A one-line UI message as HTML."""
    return html.escape(text, quote=False)


def query_error(error: QuestionError, limit: int, texts: Texts) -> str:
    """Why a question was not searched."""
    return notice(texts.empty if error.kind == "empty" else texts.too_long.format(limit=limit))


def inline_article(hit: Hit, document: Document, texts: Texts) -> InlineQueryResultArticle:
    """A hit offered in inline mode: the interviewer's question, and the paragraph to post."""
    paragraph = hit.paragraph
    return InlineQueryResultArticle(
        id=str(hit.rank),
        title=paragraph.question,
        description=shorten(paragraph.text, SNIPPET_CHARS),
        input_message_content=InputTextMessageContent(
            _single_message(paragraph, document, texts, hit.highlight)
        ),
    )


def _single_message(paragraph: Paragraph, document: Document, texts: Texts, highlight: str) -> str:
    """answer() in one message: an inline result cannot be split, so long text is shortened."""
    (first, *rest) = answer(paragraph, document, texts, highlight)
    if not rest:
        return first
    shortest = pack(_answer_blocks(paragraph, document, texts, ELLIPSIS))[0]
    room = MAX_MESSAGE_CHARS - _length(shortest) - len(Span("", "b").html())
    kept = ""
    for piece in _pieces(paragraph.text, lambda text: _length(Span(text).html()) <= room):
        if _length(Span(kept + piece).html()) > room:
            break
        kept += piece
    # The highlight stays bold if it was kept whole (room was left for its tags).
    shortened = kept.rstrip() + ELLIPSIS
    return pack(_answer_blocks(paragraph, document, texts, shortened, highlight))[0]


def stats(service: ServiceStats, bot: BotStats, index: Manifest, texts: Texts) -> str:
    """The counters since start, and the index being served."""
    seconds = int(service.uptime)
    uptime = f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"
    return notice(
        texts.stats.format(
            uptime=uptime,
            answered=service.decisions[Decision.ANSWERED],
            uncertain=service.decisions[Decision.UNCERTAIN],
            refused=service.decisions[Decision.NOT_COVERED],
            limited=bot.limited,
            paragraphs=index.count,
            built_at=index.built_at,
            build_seconds=index.build_seconds,
            reloads=service.reloads,
            failed_reloads=service.failed_reloads,
        )
    )


def reloaded(index: Manifest, texts: Texts) -> str:
    return notice(texts.reloaded.format(paragraphs=index.count, built_at=index.built_at))


def reload_failed(error: str, texts: Texts) -> str:
    return notice(texts.reload_failed.format(error=error))


def slow_down(limit: int, texts: Texts) -> str:
    return notice(texts.slow_down.format(limit=limit))
