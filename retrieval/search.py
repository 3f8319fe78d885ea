"""Ranking paragraphs for encoded questions: one FAISS lookup, hits with their highlight."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .corpus import Document, Paragraph
from .index import LoadedIndex
from .labels import answer_key
from .views import sentences

# Ranked before cutting to k, so that a few distinct interviewer questions show up.
_POOL = 30


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    score: float  # cosine similarity
    paragraph: Paragraph
    highlight: str  # the paragraph's sentence closest to the question


@dataclass(frozen=True)
class Ranking:
    """What the index says about one question, before anyone decides what to show."""

    query: str
    hits: tuple[Hit, ...]  # best first
    # The closest distinct interviewer questions, each as its best-scoring paragraph:
    # what a "did you mean" offers when the interview does not cover the question.
    nearest_questions: tuple[Hit, ...] = ()
    position: tuple[float, float] = (0.0, 0.0)  # where the question lands on the corpus map

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class Searcher:
    """One loaded index, ranking its paragraphs for question vectors."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self._by_id = {p.id: p for p in index.paragraphs}

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.index.documents

    def document(self, doc_id: str) -> Document:
        return self.index.corpus.document(doc_id)

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self._by_id.get(paragraph_id)

    def whole_answer(self, paragraph: Paragraph) -> tuple[Paragraph, ...]:
        """Every paragraph of the interview answer `paragraph` belongs to, in order."""
        return self.index.corpus.answer(paragraph)

    def rank(self, queries: Sequence[str], vectors: np.ndarray, top_k: int) -> list[Ranking]:
        """The `top_k` best paragraphs for each question, given its normalised vector."""
        wide = min(max(top_k, _POOL), self.index.faiss.ntotal)
        scores, ids = self.index.faiss.search(np.ascontiguousarray(vectors), wide)
        rankings = []
        for query, vector, row_scores, row_ids in zip(queries, vectors, scores, ids, strict=True):
            ranked = [
                self._hit(rank, float(score), int(i), vector)
                for rank, (score, i) in enumerate(zip(row_scores, row_ids, strict=True), 1)
                if i >= 0
            ]
            x, y = self.index.projection(vector)[0]
            nearest = _distinct_questions(ranked)
            rankings.append(Ranking(query, tuple(ranked[:top_k]), nearest, (float(x), float(y))))
        return rankings

    def label(self, paragraph: Paragraph) -> str:
        """The topic label of the interviewer question `paragraph` answers."""
        return self.index.labels[answer_key(paragraph)]

    def _hit(self, rank: int, score: float, i: int, query_vector: np.ndarray) -> Hit:
        paragraph = self.index.paragraphs[i]
        rows = list(self.index.sentence_rows[i])
        best = int(np.argmax(self.index.view_vectors[rows] @ query_vector))
        return Hit(rank, score, paragraph, sentences(paragraph.text)[best])


def _distinct_questions(ranked: list[Hit], n: int = 3) -> tuple[Hit, ...]:
    seen: set[tuple[str, int]] = set()
    out: list[Hit] = []
    for hit in ranked:
        key = (hit.paragraph.document, hit.paragraph.answer_no)
        if key not in seen:
            seen.add(key)
            out.append(hit)
            if len(out) == n:
                break
    return tuple(out)
