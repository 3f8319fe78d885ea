"""What counts as a question: checked before any model work, the same for every front end."""

from __future__ import annotations


class QuestionError(ValueError):
    """A question the service will not search: empty, or over the length cap."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "empty" or "too_long"


def check_question(text: str, max_chars: int) -> str:
    """The question with its whitespace runs collapsed; QuestionError when empty or too long."""
    question = " ".join(text.split())
    if not question:
        raise QuestionError("empty", "empty question")
    if len(question) > max_chars:
        raise QuestionError("too_long", f"question longer than {max_chars} characters")
    return question
