"""What gets embedded for a paragraph, and how its index vector is made from that.

A paragraph is embedded in four views: its text, its text after the interviewer's
question, each of its sentences, and each sentence after the question. Its index vector
is the normalised mean of the four (the sentence views averaged first). The question
lends context that a paragraph taken alone lacks ("it", "this treaty"); the sentences let
a short question match one statement inside a long paragraph. On the labelled set this
ranks better than the paragraph alone and keeps one vector per paragraph, so search costs
one encoder pass and one FAISS lookup whatever the corpus size (README, "Answer quality").
The sentence vectors also pick the sentence to highlight in an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .corpus import Paragraph

# Bump when the recipe changes: it is part of every embedding's cache key.
RECIPE = "views-v1"

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")


def sentences(text: str) -> list[str]:
    """The paragraph's sentences, in order; the whole text when it has one."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s] or [text]


@dataclass(frozen=True)
class ParagraphViews:
    text: str
    in_context: str
    sentences: tuple[str, ...]
    sentences_in_context: tuple[str, ...]

    @property
    def all_texts(self) -> tuple[str, ...]:
        return (self.text, self.in_context, *self.sentences, *self.sentences_in_context)


def views(paragraph: Paragraph) -> ParagraphViews:
    parts = tuple(sentences(paragraph.text))
    return ParagraphViews(
        text=paragraph.text,
        in_context=_in_context(paragraph.question, paragraph.text),
        sentences=parts,
        sentences_in_context=tuple(_in_context(paragraph.question, s) for s in parts),
    )


def paragraph_vector(v: ParagraphViews, vector_of: dict[str, np.ndarray]) -> np.ndarray:
    """The normalised mean of the four views."""
    mean = (
        vector_of[v.text]
        + vector_of[v.in_context]
        + np.mean([vector_of[s] for s in v.sentences], axis=0)
        + np.mean([vector_of[s] for s in v.sentences_in_context], axis=0)
    )
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def _in_context(question: str, text: str) -> str:
    return f"{question}\n{text}"
