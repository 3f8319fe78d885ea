"""What a reply is made of: the decision, the hits, and who asked through which front end."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from records.base import Record, Score
from records.corpus import Document, Paragraph


class Decision(StrEnum):
    """What a reply presents. A paragraph shown as the answer to a question it does not
    answer is the worst thing the program can do: anything less sure says so."""

    ANSWERED = "answered"  # the best paragraph is the interviewee's answer
    UNCERTAIN = "uncertain"  # the interview may answer it: the closest passages, said to be such
    NOT_COVERED = "not_covered"  # the interview does not answer the question


class Reason(StrEnum):
    """Why a reply presents no paragraph as the answer (none when it does). The first five
    are not questions to search: the service says so before it ranks anything."""

    NO_CONTENT = "no_content"  # nothing to search: punctuation, digits, a lone "why?"
    GREETING = "greeting"  # small talk, answered as such, never with a paragraph
    THANKS = "thanks"
    GOODBYE = "goodbye"
    SMALL_TALK = "small_talk"  # who are you, how are you, help, praise, abuse
    ABOUT_INTERVIEW = "about_interview"  # about the source itself: from its metadata
    NOT_MENTIONED = "not_mentioned"  # names a subject the interview never mentions
    NOT_ANSWERED = "not_answered"  # the interview does not answer it

    @property
    def searched(self) -> bool:
        """Whether the question was searched (the reply's hits mean something)."""
        return self in (Reason.NOT_MENTIONED, Reason.NOT_ANSWERED)


class FrontEnd(StrEnum):
    """Where a logged question was asked."""

    BOT = "bot"
    INLINE = "inline"  # a result a Telegram user posted from inline mode
    PAGE = "page"
    API = "api"


class Vote(StrEnum):
    UP = "up"
    DOWN = "down"


class Hit(Record):
    """A paragraph as one question ranked it, with what every front end shows beside it."""

    rank: int = Field(description="1-based, best first")
    score: Score = Field(description="the fused ranking score (z-score units): the order")
    similarity: Score = Field(description="cosine of the question's and the paragraph's vectors")
    paragraph: Paragraph
    highlight: str = Field(description="the paragraph's sentence closest to the question")
    label: str = Field(description="the topic of the interviewer question it answers")
    document: Document = Field(description="the interview it comes from: who, where, when")
    permalink: str = Field(
        description="the statement's own page: /p/<paragraph id>, or its whole address when "
        "[web] public_url is set"
    )


class Statement(Record):
    """What one interview says on a question: its paragraph closest to the question, and
    whether that interview answers it (decided on its paragraphs alone)."""

    date: str | None = Field(description="ISO date of publication, null when not recorded")
    document: str = Field(description="the interview's id")
    interviewee: str | None
    paragraph_id: str
    text: str
    highlight: str = Field(description="the paragraph's sentence closest to the question")
    decision: Decision = Field(description="answered or uncertain, in that interview")
    confidence: Score
    permalink: str

    @classmethod
    def of(cls, hit: Hit, decision: Decision, confidence: float) -> Statement:
        document = hit.document
        return cls(
            date=document.date,
            document=document.id,
            interviewee=document.interviewee,
            paragraph_id=hit.paragraph.id,
            text=hit.paragraph.text,
            highlight=hit.highlight,
            decision=decision,
            confidence=confidence,
            permalink=hit.permalink,
        )


class Timeline(Record):
    """How the interviews answered a question over time: one statement per interview that
    answers it (or may), oldest first, those of unknown date last."""

    query: str
    statements: tuple[Statement, ...]
