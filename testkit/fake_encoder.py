"""A small fake encoder behind the same seam as the real model, for the fast test tier.

It hashes each word's character trigrams into a vector (feature hashing), so texts that
share words or word stems lie close together and unrelated texts do not: enough for the
index build, the ranking, the decision, the question log and every front end to run for
real, in milliseconds and without the model. It knows nothing of meaning across languages:
tests of answer quality use the real model.

Registered for model names "fake:<dimension>" (`register`); a config naming
`[model] name = "fake:256"` then runs on it. Its decision (`decision`) is not fitted but
set, so that a test can steer it: a question that quotes a sentence of a paragraph is
answered with that paragraph, one that shares no words with the corpus is not covered,
and one between is uncertain.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse as sp

from retrieval.indexing.views import RECIPE
from retrieval.model.passes import PassageBatch, QuestionPass
from retrieval.model.spec import ModelSpec
from service.decision import DecisionParams, FittedFor, Logistic
from service.encoder import Encoder, register_encoder

PREFIX = "fake"
NAME = f"{PREFIX}:256"
# The best paragraph's cosine to the question (dense alone ranks): below NOT_COVERED the
# reply is not covered, from ANSWERED on it is answered. A quoted sentence scores .5-.8,
# texts that share no word with the corpus under .2.
NOT_COVERED, ANSWERED = 0.25, 0.5
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeEncoder:
    """Encoder's methods on hashed trigram vectors; every text is its own words."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.dimension = int(spec.name.partition(":")[2] or 64)
        self.calls: list[tuple[str, int]] = []  # (method, texts): what was encoded

    def question_passes(self, texts: Sequence[str]) -> list[QuestionPass]:
        self.calls.append(("question_passes", len(texts)))
        return [self._pass(text) for text in texts]

    def question_vectors(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("question_vectors", len(texts)))
        return np.stack([self._pass(text).dense for text in texts]).astype(np.float32)

    def question_tokens(self, text: str) -> int:
        """Words and punctuation marks, with the two special tokens: like a real tokenizer,
        a text of punctuation is as many tokens as characters."""
        return len(_TOKEN.findall(text)) + 2

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        self.calls.append(("passages", len(texts)))
        passes = [self._pass(text) for text in texts]
        return PassageBatch(
            np.stack([p.dense for p in passes]).astype(np.float32),
            tuple(
                p.states.astype(np.float16) if keep else None
                for p, keep in zip(passes, keep_states, strict=True)
            ),
        )

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        raise ValueError(f"{self.spec.name} has no sparse head")

    def _pass(self, text: str) -> QuestionPass:
        words = _WORD.findall(text.lower()) or ["∅"]
        states = np.stack([_word_vector(w, self.dimension) for w in words])
        dense = states.mean(axis=0)
        dense /= max(float(np.linalg.norm(dense)), 1e-12)
        return QuestionPass(dense.astype(np.float32), states, tuple(f"▁{w}" for w in words))


@lru_cache(maxsize=100_000)
def _word_vector(word: str, dimension: int) -> np.ndarray:
    """The normalised sum of the word's hashed trigrams, each a signed unit in one bucket."""
    vector = np.zeros(dimension, np.float32)
    padded = f"^{word}$"
    for i in range(max(1, len(padded) - 2)):
        digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "little") % dimension
        vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def load(spec: ModelSpec, batch_size: int = 16, progress: bool = False) -> Encoder:
    return FakeEncoder(spec)


def register() -> None:
    """Make `load_encoder` give a FakeEncoder for model names "fake:<dimension>"."""
    register_encoder(PREFIX, load)


def decision(spec: ModelSpec) -> DecisionParams:
    """The decision over a FakeEncoder's index: the cosine thresholds above, made steep
    logistic curves on the `dense_top1` feature."""

    def step(at: float) -> Logistic:
        return Logistic(("dense_top1",), (0.0,), (1.0,), (40.0,), -40.0 * at, 1.0)

    return DecisionParams(
        fitted_for=FittedFor(spec.name, spec.name, RECIPE, ("dense", "late", "navec"), "", 0, ()),
        weights={"dense": 1.0},
        term_thresholds={"navec": 0.2, "sae": 0.5},
        covered=step(NOT_COVERED),
        confidence=step(ANSWERED),
        t_not_covered=0.5,
        t_answer=0.5,
        t_third=0.05,
    )
