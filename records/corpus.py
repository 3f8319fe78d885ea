"""An interview and its answer paragraphs, as the corpus parser reads them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from records.base import Record


class TranslatedTopics(Record):
    """An interview's topic labels in another language, in the order of its questions."""

    language: str = Field(description="a language code, such as en or kk")
    topics: tuple[str, ...]


class Document(Record):
    """One interview: what its sidecar says about it. Nothing unknown is filled in."""

    id: str = Field(description="the transcript's file name without .txt")
    title: str | None = Field(default=None, description="the publication's headline")
    description: str | None = Field(
        default=None, description="what the interview is, when there is no headline to name it"
    )
    date: str | None = Field(default=None, description="ISO date of publication")
    interviewee: str | None = Field(default=None, description="who answers")
    interviewer: str | None = Field(default=None, description="who asks")
    outlet: str | None = Field(default=None, description="where it was published")
    source_url: str | None = None
    language: str = "ru"
    topics: tuple[str, ...] = Field(
        default=(),
        description="a short label for each interviewer question, in order (given by the "
        "sidecar, or derived from the question when the index is built)",
    )
    translated_topics: tuple[TranslatedTopics, ...] = Field(
        default=(),
        description="the labels in other languages (the sidecar's topics_en, topics_kk, "
        "...); a question without one there keeps its own label",
    )
    # Where the server keeps its files is nobody's business: never serialised.
    path: Path | None = Field(default=None, exclude=True)

    @property
    def name(self) -> str:
        """What lists call it: the headline, else the description, else the file name."""
        return self.title or self.description or self.id

    def topic(self, answer_no: int, language: str | None = None) -> str:
        """The label of the interviewer question `answer_no` (1-based), in `language` when
        the sidecar gives one."""
        wanted = language or self.language
        translated = next((t.topics for t in self.translated_topics if t.language == wanted), ())
        if answer_no <= len(translated):
            return translated[answer_no - 1]
        return self.topics[answer_no - 1]


class Paragraph(Record):
    """One paragraph of an answer: what the bot retrieves and quotes."""

    id: str = Field(description="<document>/<answer>.<paragraph>, e.g. interview/2.3")
    document_id: str
    question: str = Field(description="the interviewer's question it answers")
    section: str | None = Field(description="the section heading above that question")
    answer_no: int = Field(description="1-based number of the question in its document")
    position: int = Field(description="1-based place in its answer")
    count: int = Field(description="paragraphs in its answer")
    text: str
    # The transcript line it starts on, for messages about the file.
    line: int = Field(default=0, exclude=True)

    @property
    def answer_key(self) -> tuple[str, int]:
        """Which interviewer question it answers: paragraphs with one key form one answer."""
        return (self.document_id, self.answer_no)
