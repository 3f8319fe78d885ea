"""What counts as a question: checked before any model work, the same for every front end."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from records.base import Record

Problem = Literal["empty", "too_long"]


class QuestionError(ValueError):
    """A question the service will not search: empty, or over the length cap."""

    def __init__(self, kind: Problem, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Refusal(Record):
    """A question refused before it was searched, as `ask --json` prints it and the API
    returns it with status 400."""

    query: str = Field(description="the text as sent")
    error: str = Field(description="why it was not searched")

    @classmethod
    def of(cls, query: str, error: QuestionError) -> Refusal:
        return cls(query=query, error=str(error))


def check_question(text: str, max_chars: int) -> str:
    """The question with its whitespace runs collapsed; QuestionError when empty or too long."""
    question = " ".join(text.split())
    if not question:
        raise QuestionError("empty", "empty question")
    if len(question) > max_chars:
        raise QuestionError("too_long", f"question longer than {max_chars} characters")
    return question
