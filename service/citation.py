"""Who said a paragraph, where and when: what every front end shows under an answer, and
the quotation a journalist pastes.

Nothing unknown is filled in. Under an answer, the source names what is known and leaves
the rest out; a quotation, which travels without the bot around it, names every part and
says, in the reader's language, which ones the source does not record. The paragraph's id
(or its link) follows the quotation as a reference, never inside it.
"""

from __future__ import annotations

from pydantic import Field, computed_field

from records import Document, Paragraph
from records.base import Record

# A quotation's parts the source may not record, per interface language.
NOT_RECORDED = {
    "ru": {
        "speaker": "кто говорит — не указано",
        "title": "заголовок не указан",
        "outlet": "издание не указано",
        "date": "дата не указана",
        "url": "ссылка не указана",
    },
    "en": {
        "speaker": "speaker not recorded",
        "title": "headline not recorded",
        "outlet": "outlet not recorded",
        "date": "date not recorded",
        "url": "link not recorded",
    },
    "kk": {
        "speaker": "сөйлеуші көрсетілмеген",
        "title": "тақырыбы көрсетілмеген",
        "outlet": "басылым көрсетілмеген",
        "date": "күні көрсетілмеген",
        "url": "сілтеме көрсетілмеген",
    },
}


class Citation(Record):
    speaker: str | None = Field(description="who answered (the interviewee)")
    asker: str | None = Field(description="who asked: the interviewer, else the outlet")
    title: str | None = Field(description="the publication's headline")
    description: str | None = Field(description="what the interview is, without a headline")
    outlet: str | None
    date: str | None
    url: str | None
    paragraph_id: str
    link: str | None = Field(
        default=None, description="the statement's own page, when the page's address is known"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source(self) -> str:
        """Interviewee, headline (else what the interview is), outlet, date, link: the parts
        that are known, in that order."""
        return ", ".join(p for p in (self.speaker, self.origin) if p)

    @property
    def origin(self) -> str:
        """The source without who said it, for replies that name the speaker already."""
        named = f"«{self.title}»" if self.title else self.description
        return ", ".join(p for p in (named, self.outlet, self.date, self.url) if p)

    def quotation(self, text: str, language: str = "ru", reference: str | None = None) -> str:
        """`text` in quotes, who said it, the headline, outlet, date and link, each part the
        source does not record said to be so; then `reference` (by default the statement's
        link, else the paragraph's id) on a line of its own."""
        missing = NOT_RECORDED.get(language, NOT_RECORDED["ru"])
        parts = [
            self.speaker or missing["speaker"],
            f"«{self.title}»" if self.title else missing["title"],
            self.outlet or missing["outlet"],
            self.date or missing["date"],
            self.url or missing["url"],
        ]
        return f"«{text}»\n— {', '.join(parts)}\n{reference or self.link or self.paragraph_id}"


def cite(paragraph: Paragraph, document: Document, link: str | None = None) -> Citation:
    """The paragraph's citation; with `link` (its page's whole address), that too."""
    return Citation(
        link=link,
        speaker=document.interviewee,
        asker=document.interviewer or document.outlet,
        title=document.title,
        description=document.description,
        outlet=document.outlet,
        date=document.date,
        url=document.source_url,
        paragraph_id=paragraph.id,
    )
