"""Who said a paragraph, where and when: what every front end shows under an answer, and
the quotation a journalist can paste.

Only what the sidecar knows is given: an unknown date, outlet or link is left out, never
guessed.
"""

from __future__ import annotations

from pydantic import Field, computed_field

from records import Document, Paragraph
from records.base import Record


class Citation(Record):
    speaker: str | None = Field(description="who answered (the interviewee)")
    asker: str | None = Field(description="who asked: the interviewer, else the outlet")
    title: str
    outlet: str | None
    date: str | None
    url: str | None
    paragraph_id: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source(self) -> str:
        """Interviewee, title, outlet, date, link: the parts that are known, in that order."""
        parts = [self.speaker, f"«{self.title}»", self.outlet, self.date, self.url]
        return ", ".join(p for p in parts if p)

    def quotation(self, text: str) -> str:
        """`text` in quotes, then where it comes from, ready to paste."""
        return f"«{text}»\n— {self.source} ({self.paragraph_id})"


def cite(paragraph: Paragraph, document: Document) -> Citation:
    return Citation(
        speaker=document.interviewee,
        asker=document.interviewer or document.outlet,
        title=document.title,
        outlet=document.outlet,
        date=document.date,
        url=document.source_url,
        paragraph_id=paragraph.id,
    )
