"""Interviews as they are published (web pages, Word files, PDFs, text, URLs) → corpus files.

`import_source(spec, into)` reads one source (a path, a URL, or a `Source` already read) and
returns an `Imported` record: imported (the files written), duplicate (of a document already
in the corpus), or refused with a one-line reason; bad input never writes anything and never
raises.

Modules: `sources` (files and http(s) URLs, caps, telling the format from the bytes), `html`,
`docx`, `pdf`, `text` (each: bytes → blocks of text with bold/italic/heading marks, and the
metadata the source states), `structure` (blocks → questions, answers, section headings, or
a refusal), `writer` (slug, duplicates, the files, checked by the corpus parser), `result`
(the record), `pipeline` (all of it for one source).

Libraries, and why:

* Web pages: lxml (BSD-3) with this package's own rules, not trafilatura (Apache-2.0). Tried
  on the test layouts, trafilatura kept bold in most, but on a short dash dialogue it merged
  every question and answer and the menu into one paragraph with the bold gone, and its date
  (htmldate's, even with `extensive_search=False`) was that of a "read also" item on a page
  that states none. Questions are told from answers by exactly that formatting, and a wrong
  date is a guess, so the article is found with a few explicit rules (`importer.html`) and
  the date only where the page states its own: `article:published_time` and other date meta
  tags, JSON-LD `datePublished`, or the article's own <time> elements when they agree.
  htmldate is not used for the same reason.
* Word: python-docx (MIT), after a check of the ZIP's declared sizes (zip bombs).
* PDF: pdfplumber (MIT) on pdfminer.six (MIT), for each character's font and position:
  bold questions, running heads and page numbers, paragraph gaps. PyMuPDF is AGPL.
* URLs: httpx (BSD-3, already used by python-telegram-bot), redirects followed by hand so
  that each hop's scheme is checked.
"""

from __future__ import annotations

from .blocks import Metadata, Refused
from .pipeline import import_source
from .result import Imported
from .sources import Limits, Source
from .structure import Answer, Interview

__all__ = [
    "Answer",
    "Imported",
    "Interview",
    "Limits",
    "Metadata",
    "Refused",
    "Source",
    "import_source",
]
