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
