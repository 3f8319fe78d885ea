"""What counts as a question: checked before any model work, the same for every front end."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from records import Scope
from records.base import Record
from records.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from retrieval.corpus import Corpus

Problem = Literal["empty", "too_long"]


class QuestionError(ValueError):
    """A question the service will not search: empty, or over the length cap."""

    def __init__(self, kind: Problem, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ScopeError(UserError, ValueError):
    """Filters that let no interview through: there is nothing to search."""


def rows_within(corpus: Corpus, scope: Scope | None) -> np.ndarray | None:
    """The paragraphs `scope` lets through (None: all); ScopeError when none."""
    if scope is None or scope.everything:
        return None
    rows = corpus.rows(scope)
    if not rows.any():
        raise ScopeError(f"no interview matches {scope.summary}")
    return rows


class Refusal(Record):
    """A question refused before it was searched, as `ask --json` prints it and the API
    returns it with status 400."""

    query: str = Field(description="the text as sent")
    error: str = Field(description="why it was not searched")

    @classmethod
    def of(cls, query: str, error: QuestionError) -> Refusal:
        return cls(query=query, error=str(error))


# Characters that draw nothing and are not whitespace to str.split(): format characters
# (zero-width space, joiners, the BOM, bidi marks, the soft hyphen) and the fillers that
# render as blanks. A question of only these would be searched, answered and logged as if
# it said something.
_BLANKS = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0")


def visible(text: str) -> str:
    """`text` without the characters that draw nothing (see _BLANKS): inside a word they
    only split it for the tokenizer."""
    return "".join(c for c in text if c not in _BLANKS and unicodedata.category(c) != "Cf")


def check_question(
    text: str,
    max_chars: int,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int | None = None,
) -> str:
    """The question with invisible characters dropped and whitespace runs collapsed;
    QuestionError when nothing visible is left or it is too long, in characters or (given
    `count_tokens`) in the model's tokens: encoder time grows with tokens, and a short
    text of punctuation can be as many tokens as characters."""
    question = " ".join(visible(text).split())
    if not question:
        raise QuestionError("empty", "empty question")
    if len(question) > max_chars:
        raise QuestionError("too_long", f"question longer than {max_chars} characters")
    if count_tokens is not None and max_tokens is not None:
        tokens = count_tokens(question)
        if tokens > max_tokens:
            raise QuestionError("too_long", f"question longer than {max_tokens} tokens ({tokens})")
    return question
