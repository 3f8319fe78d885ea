"""Telegram HTML messages from plain text: spans, blocks, and splitting into messages.

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

from service.text import ELLIPSIS, shorten

MAX_MESSAGE_CHARS = 4096

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


def sentences(text: str) -> list[str]:
    """The sentences of `text`, each with the space after it: joined, they give it back."""
    return _split_after(_SENTENCE_END, text)


def excerpt(text: str, keep: str | None, limit: int) -> str:
    """`text` whole if it fits in `limit` characters; else the sentence holding `keep`
    whole, and as many sentences after and before it as fit, an ellipsis where text is left
    out (without `keep`, the beginning, cut at a word)."""
    if len(text) <= limit:
        return text
    parts = sentences(text)
    at = next((i for i, s in enumerate(parts) if keep and keep.strip() and keep.strip() in s), None)
    if at is None:  # nothing to keep whole: the beginning, cut at a word
        return shorten(text, limit)
    if len(parts[at]) > limit:  # one sentence over the limit: `keep`, and words around it
        body, cut_before, cut_after = _around(parts[at], keep or "", limit)
        return _marked(body, at > 0 or cut_before, at < len(parts) - 1 or cut_after)
    start, end = at, at + 1
    while True:
        grown = False
        for candidate in ((start, end + 1), (start - 1, end)):
            if candidate[0] < 0 or candidate[1] > len(parts):
                continue
            size = len("".join(parts[candidate[0] : candidate[1]])) + 4  # the ellipses
            if size <= limit:
                start, end, grown = *candidate, True
                break
        if not grown:
            break
    return _marked("".join(parts[start:end]).strip(), start > 0, end < len(parts))


def _marked(body: str, before: bool, after: bool) -> str:
    """`body` with an ellipsis where text is left out before or after it."""
    return f"{ELLIPSIS} " * before + body + f" {ELLIPSIS}" * after


def _around(sentence: str, keep: str, limit: int) -> tuple[str, bool, bool]:
    """`keep` whole, with as many of the words before and after it in `sentence` as fit;
    and whether words were left out before it, and after."""
    at = sentence.find(keep)
    before, after = sentence[:at].split(), sentence[at + len(keep) :].split()
    head: list[str] = []
    tail: list[str] = []
    size = len(keep) + 4
    while before or after:
        for words, side in ((after, tail), (before, head)):
            if words and size + len(words[0 if side is tail else -1]) + 1 <= limit:
                word = words.pop(0) if side is tail else words.pop()
                side.append(word) if side is tail else side.insert(0, word)
                size += len(word) + 1
                break
        else:
            break
    return " ".join([*head, keep.strip(), *tail]), bool(before), bool(after)


def lines(*rows: Sequence[Span]) -> Block:
    """Spans of several lines as one block."""
    block: list[Span] = []
    for line in rows:
        if block:
            block.append(Span("\n"))
        block.extend(line)
    return block


def one_message(
    build: Callable[[str], Sequence[Block]], text: str, limit: int = MAX_MESSAGE_CHARS
) -> str:
    """The blocks `build(text)` makes, as one message; when they do not fit, `text` is cut
    after as many whole sentences (else words) as fit, and ends with an ellipsis.

    For what cannot be split, such as an inline result's message.
    """
    whole = pack(build(text), limit)
    if len(whole) == 1:
        return whole[0]
    # Pieces small enough that cutting after one wastes little room.
    pieces = _pieces(text, lambda piece: _length(piece) <= limit // 8)

    def message(count: int) -> list[str]:
        return pack(build("".join(pieces[:count]).rstrip() + ELLIPSIS), limit)

    # The most pieces that fit, by bisection: a longer text never takes fewer messages.
    low, high = 0, len(pieces) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if len(message(middle)) == 1:
            low = middle
        else:
            high = middle - 1
    # Even none fit only when the rest of the blocks is over the limit: its first message.
    return message(low)[0]
