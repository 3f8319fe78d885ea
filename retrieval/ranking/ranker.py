"""Ranking paragraphs for encoded questions: dense candidates, then every signal on them.

FAISS finds the `POOL` paragraphs closest to the question's dense vector (all of them in a
small corpus); the sparse, late-interaction and navec signals (signals/scoring.py) are
scored on those candidates only, z-scored over them and fused with the fitted weights.
The fused score orders the hits. The candidates' per-signal scores go with the ranking as
its `evidence`, which the decision reads (service/decision.py): how decisively one
paragraph wins matters more for "answered or not" than any single score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from records import Hit, permalink
from retrieval.indexing import ann
from retrieval.indexing.loading import LoadedIndex
from retrieval.indexing.views import sentences
from retrieval.model.passes import QuestionPass
from retrieval.signals import scoring, terms
from retrieval.signals.wordvectors import WordVectors, load_word_vectors

# Candidates per question: the dense search's share of the work, and what the other signals
# are z-scored over. Late interaction over them is the part that grows with it.
POOL = 100


@dataclass(frozen=True)
class Evidence:
    """What the ranking saw of one question, for the decision and for fitting it."""

    language: str  # the question's, as terms.language_of guesses it
    paragraphs: tuple[str, ...]  # the candidates' ids, in FAISS order
    answers: np.ndarray  # [C] which interviewer question each candidate answers (an index)
    signals: Mapping[str, np.ndarray]  # raw score of each signal per candidate
    fused: np.ndarray  # [C] the fused score per candidate
    coverage: tuple[terms.TermCoverage, ...] = field(default=())

    @property
    def order(self) -> np.ndarray:
        """Candidate positions, best first (a stable sort: ties keep FAISS order)."""
        return np.argsort(-self.fused, kind="stable")

    def with_weights(self, weights: Mapping[str, float]) -> Evidence:
        """The same evidence fused with other weights (fitting tries many)."""
        return replace(self, fused=scoring.fuse(self.signals, weights))

    def without(self, signal: str) -> Evidence:
        """The evidence as a model without `signal` would give it (fitting without sparse)."""
        kept = {k: v for k, v in self.signals.items() if k != signal}
        return replace(self, signals=kept)


@dataclass(frozen=True)
class Ranking:
    """What the index says about one question, before anyone decides what to show."""

    query: str
    hits: tuple[Hit, ...]  # best first
    evidence: Evidence  # every candidate's signals: what the decision reads
    # The closest distinct interviewer questions, each as its best-scoring paragraph:
    # what a "did you mean" offers when the interview does not cover the question.
    nearest_questions: tuple[Hit, ...] = ()
    position: tuple[float, float] = (0.0, 0.0)  # where the question lands on the corpus map

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class Ranker:
    """One loaded index, ranking its paragraphs for encoded questions with fixed weights."""

    def __init__(
        self,
        index: LoadedIndex,
        weights: Mapping[str, float],
        vectors: WordVectors | None = None,
        public_url: str | None = None,
    ) -> None:
        self.index = index
        self.weights = dict(weights)
        self.public_url = public_url  # where each hit's own page is published
        self.vectors = vectors or load_word_vectors()
        keys = {key: i for i, key in enumerate(dict.fromkeys(self._answer_keys()))}
        self._answer = np.array([keys[key] for key in self._answer_keys()])

    def _answer_keys(self) -> list[tuple[str, int]]:
        return [p.answer_key for p in self.index.corpus.paragraphs]

    def rank(
        self,
        queries: Sequence[str],
        passes: Sequence[QuestionPass],
        top_k: int,
        rows: np.ndarray | None = None,
    ) -> list[Ranking]:
        """The `top_k` best paragraphs for each question, given its encoder pass; only of
        `rows` (a boolean per paragraph) when given, the others never even candidates."""
        if not passes:
            return []
        vectors = np.ascontiguousarray(np.stack([p.dense for p in passes]), dtype=np.float32)
        index = self.index.faiss
        if rows is None:
            wide = min(max(top_k, POOL), index.ntotal)
            cosines, ids = index.search(vectors, wide)
        else:
            wide = min(max(top_k, POOL), int(rows.sum()))
            if wide == 0:
                raise ValueError("no paragraph to rank: the scope lets none through")
            restriction = ann.restricted(index, rows)
            cosines, ids = index.search(vectors, wide, params=restriction.params)
        found = [row >= 0 for row in ids]
        candidates = [row[keep] for row, keep in zip(ids, found, strict=True)]
        evidence = self.evidence(
            queries,
            passes,
            [row[keep] for row, keep in zip(cosines, found, strict=True)],
            candidates,
        )
        return [
            self._ranking(*each, top_k)
            for each in zip(queries, passes, evidence, candidates, strict=True)
        ]

    def _ranking(
        self, query: str, question: QuestionPass, evidence: Evidence, ids: np.ndarray, top_k: int
    ) -> Ranking:
        order = evidence.order
        cosines = evidence.signals["dense"]

        def hit(rank: int) -> Hit:
            c = order[rank - 1]
            return self._hit(
                rank, float(evidence.fused[c]), float(cosines[c]), int(ids[c]), question
            )

        hits = tuple(hit(rank) for rank in range(1, min(top_k, len(order)) + 1))
        nearest = tuple(
            hits[rank - 1] if rank <= len(hits) else hit(rank)
            for rank in _first_of_each_answer(evidence.answers[order])
        )
        x, y = self.index.projection(question.dense)[0]
        return Ranking(query, hits, evidence, nearest, (float(x), float(y)))

    def evidence(
        self,
        queries: Sequence[str],
        questions: Sequence[QuestionPass],
        cosines: Sequence[np.ndarray],
        ids: Sequence[np.ndarray],
    ) -> list[Evidence]:
        """Each question's signals over its candidates (`ids`, with their dense `cosines`),
        scored for the whole batch at once."""
        paragraphs = self.index.corpus.paragraphs
        languages = [terms.language_of(query) for query in queries]
        contents = [terms.terms_of(q, lang) for q, lang in zip(queries, languages, strict=True)]
        navecs = [
            self.vectors.mean(t.spellings for t in content) if language == "ru" else None
            for content, language in zip(contents, languages, strict=True)
        ]
        batch = scoring.scores(questions, navecs, ids, cosines, self.index.signals)
        out = []
        for i, question in enumerate(questions):
            scores = batch[i]
            scores["sentence"] = scoring.best_sentence(
                question.dense, ids[i], self.index.sentence_rows, self.index.view_vectors
            ).astype(np.float64)
            words = (
                terms.word_codes(question.pieces, question.codes)
                if question.codes is not None
                else None
            )
            out.append(
                Evidence(
                    language=languages[i],
                    paragraphs=tuple(paragraphs[j].id for j in ids[i]),
                    answers=self._answer[ids[i]],
                    signals=scores,
                    fused=scoring.fuse(scores, self.weights),
                    coverage=terms.coverage(
                        contents[i], languages[i], self.index.vocabulary, self.vectors, words
                    ),
                )
            )
        return out

    def _hit(
        self, rank: int, score: float, similarity: float, i: int, question: QuestionPass
    ) -> Hit:
        corpus = self.index.corpus
        paragraph = corpus.paragraphs[i]
        rows = list(self.index.sentence_rows[i])
        best = int(np.argmax(self.index.view_vectors[rows] @ question.dense))
        return Hit(
            rank=rank,
            score=score,
            similarity=similarity,
            paragraph=paragraph,
            highlight=sentences(paragraph.text)[best],
            label=corpus.label(paragraph),
            document=corpus.document(paragraph.document_id),
            permalink=permalink(paragraph.id, self.public_url),
        )


def _first_of_each_answer(answers: np.ndarray, n: int = 3) -> list[int]:
    """The ranks (1-based) of the best paragraph of each of the first `n` interviewer
    questions, given the candidates' answers in ranked order."""
    _, first = np.unique(answers, return_index=True)
    return [int(i) + 1 for i in np.sort(first)[:n]]
