"""What gets embedded for a paragraph, and how its index vector is made from that.

A paragraph is embedded in four views: its text, its text after the interviewer's
question, each of its sentences, and each sentence after the question. Its index vector
is the normalised mean of the four (the sentence views averaged first). The question
lends context that a paragraph taken alone lacks ("it", "this treaty"); the sentences let
a short question match one statement inside a long paragraph. On the labelled set this
ranks better than the paragraph alone and keeps one vector per paragraph, so search costs
one encoder pass and one FAISS lookup whatever the corpus size (docs/quality.md).
The sentence vectors also pick the sentence to highlight in an answer. The same four-view
mean makes a paragraph's sparse vector (signals/scoring.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse as sp

from records import Paragraph

# Bump when the recipe changes: it is part of every embedding's cache key. v2: each text
# also has its SAE latents (prompt-less pass) and a paragraph text its token states.
RECIPE = "views-v2"

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


def view_weights(plans: Sequence[ParagraphViews], row_of: Mapping[str, int]) -> sp.csr_matrix:
    """[P, texts]: row i averages paragraph i's four views of the texts (`row_of` their rows),
    the sentence views averaged first; `weights @ text_vectors` is each paragraph's mean."""
    rows, cols, values = [], [], []
    for i, v in enumerate(plans):
        parts = ((v.text,), (v.in_context,), v.sentences, v.sentences_in_context)
        for part in parts:
            for text in part:
                rows.append(i)
                cols.append(row_of[text])
                values.append(0.25 / len(part))
    # Duplicates (a one-sentence paragraph is its own sentence) add up, as in a plain sum.
    return sp.csr_matrix((values, (rows, cols)), shape=(len(plans), len(row_of)), dtype=np.float32)


def paragraph_vectors(weights: sp.csr_matrix, text_vectors: np.ndarray) -> np.ndarray:
    """The normalised four-view means of the paragraphs (dense text vectors)."""
    mean = np.asarray(weights @ text_vectors, np.float32)
    return (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(np.float32)


def _in_context(question: str, text: str) -> str:
    return f"{question}\n{text}"
