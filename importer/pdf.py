"""PDF transcripts with pdfplumber (pdfminer.six underneath): the text lines of each page
with their position and font, joined back into paragraphs.

* Running heads and feet go: a line that comes back at the same height on most pages (digits
  aside, so "Page 2 of 5" matches "Page 3 of 5"), and a lone page number near the top or
  bottom edge.
* Lines join into a paragraph until a wider space than between its other lines, a line indented
  more than the one before it, a change of bold, italic or size, or a short line that ends a
  sentence. A paragraph goes on across a page break unless one of these says otherwise.
* A word hyphenated at a line end is joined without its hyphen, unless the document itself
  writes it with a hyphen elsewhere (the same word, or the same first part before a hyphen,
  such as "военно-"), or the second part is a particle ("из-за", "кто-то").
* A bold font is told by its name (…-Bold, …Black, …Heavy, Semibold), as PDF fonts carry no
  other mark of it.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from io import BytesIO
from itertools import pairwise
from typing import Any

from .blocks import Block, Extracted, Metadata, Refused, boilerplate, clean, letters
from .sources import Limits

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|-bd\b|,b\b", re.IGNORECASE)
_ITALIC_FONT = re.compile(r"italic|oblique|-it\b|,i\b", re.IGNORECASE)
_PAGE_NUMBER = re.compile(
    r"^\W*(?:(?:стр\.?|страница|page|бет)\s*)?\d{1,4}(?:\s*(?:из|of|/)\s*\d{1,4})?\W*$",
    re.IGNORECASE,
)
_SENTENCE_END = tuple('.!?…:»"”)')
_PARTICLES = {"то", "либо", "нибудь", "таки", "ка", "де", "за", "под", "как", "тки"}
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_UNTITLED = re.compile(
    r"^(untitled|без названия|microsoft word - .*|.*\.(docx?|pdf|rtf|odt))$", re.IGNORECASE
)
# A line with at most this share of the column's width left empty is a full line.
_SHORT = 0.2
# The top and bottom share of a page where running heads, feet and page numbers sit.
_EDGE = 0.12


@dataclass
class _Line:
    text: str
    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    italic: bool
    height: float  # of its page


def read_pdf(data: bytes, limits: Limits) -> Extracted:
    # pdfminer reads a truncated file as far as it goes, and the end of the interview would
    # be lost without a word: a PDF must end with its end-of-file marker.
    if b"%%EOF" not in data[-2048:]:
        raise Refused("truncated PDF (it does not end with %%EOF)")
    import pdfplumber

    try:
        pdf = pdfplumber.open(BytesIO(data))
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise Refused(_open_error(exc)) from None
    with pdf:
        try:
            if len(pdf.pages) > limits.max_pages:
                raise Refused(f"PDF has {len(pdf.pages)} pages; the limit is {limits.max_pages}")
            lines = [line for number, page in enumerate(pdf.pages) for line in _lines(page, number)]
            metadata = dict(pdf.metadata or {})
        except Refused:
            raise
        except Exception as exc:  # damage found only when a page is read
            raise Refused(_open_error(exc)) from None
    if sum(letters(line.text) for line in lines) < 20:
        raise Refused("no text layer: run OCR first")
    body = _without_running_lines(lines)
    title = clean(str(metadata.get("Title") or ""))
    return Extracted(
        [block for block in _paragraphs(body) if not boilerplate(block.text)],
        Metadata(title=title if title and not _UNTITLED.match(title) else None),
    )


def _open_error(exc: Exception) -> str:
    chain = [exc, exc.__cause__, exc.__context__, *getattr(exc, "args", ())]
    names = " ".join(type(e).__name__ + " " + str(e) for e in chain if e is not None)
    if "Password" in names or "password" in names:
        return "encrypted PDF: it needs a password to open"
    if "Encrypt" in names:
        return f"encrypted PDF that cannot be read: {exc}"
    return f"not a readable PDF (damaged): {type(exc).__name__}: {exc}"


def _lines(page: Any, number: int) -> list[_Line]:
    out = []
    for line in page.extract_text_lines(return_chars=True, strip=True):
        chars = [c for c in line["chars"] if c["text"].strip()]
        if not chars:
            continue
        total = sum(letters(c["text"]) for c in chars) or 1

        def share(pattern: re.Pattern[str], chars: list[Any] = chars, total: int = total) -> bool:
            marked = sum(letters(c["text"]) for c in chars if pattern.search(c["fontname"]))
            return marked / total >= 0.9

        out.append(
            _Line(
                text=line["text"],
                page=number,
                x0=line["x0"],
                x1=line["x1"],
                top=line["top"],
                bottom=line["bottom"],
                size=statistics.median(c["size"] for c in chars),
                bold=share(_BOLD_FONT),
                italic=share(_ITALIC_FONT),
                height=float(page.height),
            )
        )
    return out


def _key(line: _Line) -> tuple[str, int]:
    return re.sub(r"\d+", "#", " ".join(line.text.split())), round(line.top / 4)


def _without_running_lines(lines: list[_Line]) -> list[_Line]:
    pages = len({line.page for line in lines})
    on_pages: Counter[tuple[str, int]] = Counter()
    for key in {(_key(line), line.page) for line in lines}:
        on_pages[key[0]] += 1
    kept = []
    for line in lines:
        at_edge = line.top < _EDGE * line.height or line.bottom > (1 - _EDGE) * line.height
        repeated = pages >= 2 and on_pages[_key(line)] >= max(2, pages / 2)
        if repeated or (at_edge and _PAGE_NUMBER.match(line.text.strip())):
            continue
        kept.append(line)
    return kept


def _paragraphs(lines: list[_Line]) -> list[Block]:
    if not lines:
        return []
    left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
    right = sorted(line.x1 for line in lines)[int(0.9 * (len(lines) - 1))]
    width = max(1.0, right - left)
    # The usual space between lines of one size: a heading set larger has wider lines.
    spaces: dict[int, list[float]] = {}
    for a, b in pairwise(lines):
        if a.page == b.page and abs(a.size - b.size) < 0.5 and b.top > a.top:
            spaces.setdefault(round(a.size), []).append(b.top - a.bottom)
    usual = {size: statistics.median(found) for size, found in spaces.items()}
    words = _words(lines)

    def breaks(a: _Line, b: _Line) -> bool:
        if a.bold != b.bold or a.italic != b.italic or abs(a.size - b.size) >= 1:
            return True
        if b.x0 > a.x0 + b.size:  # a first-line indent
            return True
        if a.page == b.page and b.top - a.bottom > usual.get(round(a.size), 0) + 0.4 * a.size:
            return True
        if a.page != b.page and b.x0 > left + b.size:
            return True
        short = right - a.x1 > _SHORT * width
        return short and a.text.rstrip().endswith(_SENTENCE_END)

    blocks: list[Block] = []
    current = [lines[0]]
    for a, b in pairwise(lines):
        if breaks(a, b):
            blocks.append(_block(current, words))
            current = []
        current.append(b)
    blocks.append(_block(current, words))
    return blocks


def _block(lines: list[_Line], words: set[str]) -> Block:
    text = lines[0].text.strip()
    for line in lines[1:]:
        text = _join(text, line.text.strip(), words)
    return Block(
        clean(text),
        bold=all(line.bold for line in lines),
        italic=all(line.italic for line in lines),
    )


def _words(lines: list[_Line]) -> set[str]:
    """The words the document writes whole, in lower case, with their own hyphens."""
    found: set[str] = set()
    for line in lines:
        tokens = line.text.split()
        for number, token in enumerate(tokens):
            if number == len(tokens) - 1 and token.endswith("-"):
                continue  # a word cut at the line end is not written whole
            found.update(w.lower() for w in _WORD.findall(token))
    return found


def _join(text: str, following: str, words: set[str]) -> str:
    if text.endswith("\u00ad"):
        return text[:-1] + following
    if not (
        len(text) >= 2 and text.endswith("-") and text[-2].isalpha() and following[:1].isalpha()
    ):
        return f"{text} {following}"
    head = re.search(r"[^\W\d_]+(?:-[^\W\d_]+)*-$", text)
    tail = _WORD.match(following)
    if head is None or tail is None:
        return f"{text} {following}"
    first, second = head[0][:-1].lower(), tail[0].lower()
    last_part = first.rsplit("-", 1)[-1]
    keep = (
        f"{first}-{second}" in words
        or (
            f"{first}{second}" not in words
            and any(w.startswith(f"{last_part}-") for w in words)
            and len(last_part) >= 3
        )
        or (second in _PARTICLES and f"{first}{second}" not in words)
    )
    return text + following if keep else text[:-1] + following
