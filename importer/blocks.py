"""What every reader hands to the structure finder: the document's text as blocks, each a
paragraph with the formatting that marks questions and headings, plus what was found about
the document. A reader that cannot use its input raises `Refused` with a one-line reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

# Zero-width characters and soft hyphens carry no text; publishers' CMSs leave them anywhere.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# A block counts as bold or italic when this share of its letters is.
EMPHASIS_SHARE = 0.9


class Refused(Exception):
    """A source that is not imported, with why (one line, safe to print)."""

    def __init__(self, reason: str) -> None:
        self.reason = one_line(reason)
        super().__init__(self.reason)


def one_line(text: str) -> str:
    # Reasons quote file names and text from the source: keep them to one printable line.
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def clean(text: str) -> str:
    """Text as the corpus keeps it: one line, single spaces, no invisible characters."""
    text = text.translate(_INVISIBLE)
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


_SHARE = re.compile(r"^(поделиться|share( this)?|бөлісу)\b", re.IGNORECASE)
_COPYRIGHT = re.compile(
    r"^(©|\(c\)\s*\d{4}|copyright\b)|все права защищены|all rights reserved|барлық құқықтар",
    re.IGNORECASE,
)
_COOKIE = re.compile(r"\bcookies?\b|\bкуки\b|файл\w* cookie", re.IGNORECASE)


def boilerplate(text: str) -> bool:
    """A copyright line, a cookie notice or a "Share" row: a site's, never an answer's.
    Pages mark them up as chrome too, but a page printed to PDF keeps only the words."""
    if len(text) < 300 and (_COPYRIGHT.search(text) or _COOKIE.search(text)):
        return True
    return len(text) < 120 and bool(_SHARE.match(text))


def letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


@dataclass(frozen=True)
class Block:
    text: str
    bold: bool = False
    italic: bool = False
    heading: bool = False  # marked up as a heading: <h2>, a Word Heading style, Markdown #
    linked: bool = False  # (nearly) all link text: a menu or a list of other pages


class BlockBuilder:
    """Collects runs of formatted text and cuts them into blocks at paragraph ends and line
    breaks, so that `<b>Question?</b><br>Answer` gives two blocks, as a reader sees it."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._runs: list[tuple[str, int]] = []

    def add(
        self,
        text: str,
        *,
        bold: bool = False,
        italic: bool = False,
        heading: bool = False,
        link: bool = False,
    ) -> None:
        if text:
            flags = bold | italic << 1 | heading << 2 | link << 3
            self._runs.append((text, flags))

    def end(self) -> None:
        runs, self._runs = self._runs, []
        text = clean("".join(text for text, _ in runs))
        if not text:
            return
        total = letters(text) or 1

        def share(flag: int) -> bool:
            return sum(letters(t) for t, flags in runs if flags & flag) / total >= EMPHASIS_SHARE

        self.blocks.append(
            Block(text, bold=share(1), italic=share(2), heading=share(4), linked=share(8))
        )


@dataclass
class Metadata:
    """What the source states about itself; a field it does not state stays None."""

    title: str | None = None
    date: str | None = None  # ISO date
    interviewee: str | None = None
    interviewer: str | None = None
    outlet: str | None = None
    source_url: str | None = None
    language: str | None = None

    def merge(self, other: Metadata) -> None:
        """Fill the fields still missing from `other`."""
        for f in fields(self):
            if getattr(self, f.name) is None:
                setattr(self, f.name, getattr(other, f.name))


@dataclass
class Extracted:
    blocks: list[Block]
    metadata: Metadata = field(default_factory=Metadata)


_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T ]|\s)")


def iso_date(value: object) -> str | None:
    """The date of an ISO date or date-time string; anything else is not read as a date."""
    import datetime as dt

    if not isinstance(value, str) or not (match := _ISO_DATE.match(value)):
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None


LANGUAGES = ("ru", "en", "kk")


def language(tag: object) -> str | None:
    """`ru` from `ru-RU` and the like, for the languages the bot answers in."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None
