"""Answering questions: encode with the query prompt, search the index, rank the hits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .corpus import Document, Paragraph
from .index import LoadedIndex
from .views import sentences

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class QueryError(ValueError):
    """A question the pipeline will not search: empty, or over the length cap."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "empty" or "too_long"


def check_query(text: str, max_chars: int) -> str:
    """The question, stripped; QueryError when it is empty or too long."""
    query = " ".join(text.split())
    if not query:
        raise QueryError("empty", "empty question")
    if len(query) > max_chars:
        raise QueryError("too_long", f"question longer than {max_chars} characters")
    return query


_QUESTION_POOL = 30


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    score: float  # cosine similarity
    paragraph: Paragraph
    highlight: str  # the paragraph's sentence closest to the question


@dataclass(frozen=True)
class Answer:
    query: str
    hits: tuple[Hit, ...]
    answered: bool  # the best hit reaches the threshold
    # The closest distinct interviewer questions, each as its best-scoring paragraph:
    # what a "did you mean" offers when nothing reaches the threshold.
    nearest_questions: tuple[Hit, ...] = ()

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class Searcher:
    """One loaded model and index, answering questions; build it once per process."""

    def __init__(
        self,
        index: LoadedIndex,
        model: SentenceTransformer,
        *,
        query_prompt: str,
        threshold: float,
        top_k: int = 5,
    ) -> None:
        self.index = index
        self.model = model
        self.query_prompt = query_prompt
        self.threshold = threshold
        self.top_k = top_k
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

    def encode(self, queries: Sequence[str]) -> np.ndarray:
        return self.model.encode(
            list(queries),
            prompt=self.query_prompt,
            normalize_embeddings=True,
            convert_to_numpy=True,
            batch_size=max(1, len(queries)),
            show_progress_bar=False,
        ).astype(np.float32)

    def search(self, query: str, top_k: int | None = None) -> Answer:
        return self.search_many([query], top_k)[0]

    def search_many(self, queries: Sequence[str], top_k: int | None = None) -> list[Answer]:
        """Answer several questions with one encoder pass."""
        if not queries:
            return []
        return self.rank(queries, self.encode(queries), top_k)

    def rank(
        self, queries: Sequence[str], vectors: np.ndarray, top_k: int | None = None
    ) -> list[Answer]:
        k = top_k or self.top_k
        # A wider net than k, so that a few distinct interviewer questions show up.
        wide = min(max(k, _QUESTION_POOL), self.index.faiss.ntotal)
        scores, ids = self.index.faiss.search(vectors, wide)
        answers = []
        for query, vector, row_scores, row_ids in zip(queries, vectors, scores, ids, strict=True):
            ranked = [
                self._hit(rank, float(score), int(i), vector)
                for rank, (score, i) in enumerate(zip(row_scores, row_ids, strict=True), 1)
                if i >= 0
            ]
            hits = tuple(ranked[:k])
            answered = bool(hits) and hits[0].score >= self.threshold
            answers.append(Answer(query, hits, answered, _distinct_questions(ranked)))
        return answers

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
