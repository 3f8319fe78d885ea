"""Plain text and Markdown (.txt, .md): a paragraph per line, or per blank-line-separated
chunk when the lines are hard-wrapped; `**bold**`, `*italic*` and `#` headings as on a page.
The corpus format itself reads too: `Вопрос<TAB>` is a label like `Вопрос:`."""

from __future__ import annotations

import re

from .blocks import BlockBuilder, Extracted
from .sources import decode_text

_CORPUS_LABEL = re.compile(r"^(Вопрос|Ответ|Question|Answer)\t")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|\*(?![\w*])|(?<!\w)_(?=\S)|_(?!\w))")


def read_text(data: bytes, charset: str | None = None) -> Extracted:
    text = decode_text(data, charset).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_CORPUS_LABEL.sub(r"\1: ", line) for line in text.split("\n")]
    builder = BlockBuilder()
    for chunk in _chunks(lines):
        heading = _HEADING.match(chunk)
        if heading:
            builder.add(heading[1], heading=True)
            builder.end()
            continue
        bold = italic = False
        for piece in _EMPHASIS.split(_QUOTE.sub("", chunk)):
            if piece in ("**", "__"):
                bold = not bold
            elif piece in ("*", "_"):
                italic = not italic
            else:
                builder.add(piece, bold=bold, italic=italic)
        builder.end()
    return Extracted(builder.blocks)


def _chunks(lines: list[str]) -> list[str]:
    """Blank-line-separated chunks when most of them run over several lines (hard-wrapped
    text), else one chunk per line."""
    chunks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            chunks[-1].append(line)
        elif chunks[-1]:
            chunks.append([])
    chunks = [c for c in chunks if c]
    wrapped = sum(len(c) > 1 and not _HEADING.match(c[0]) for c in chunks)
    if len(chunks) >= 2 and wrapped * 2 > len(chunks):
        return [" ".join(line.strip() for line in chunk) for chunk in chunks]
    return [line for line in lines if line.strip()]
