"""The process's one model, shared by questions and index rebuilds, one call at a time.

A reload rebuilds the index with the model that answers questions. Two threads calling one
torch model at once would each get half the cores and both run slower (on two busy cores
ten times slower, see `limit_threads`), so every call takes a lock. A rebuild encodes in
chunks and takes the lock per chunk: questions asked meanwhile wait for one chunk, not for
the whole corpus.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from retrieval.model import ModelSpec, load_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Passages encoded per turn of the lock during a rebuild.
_CHUNK = 64


class Encoder:
    """Questions and passages to normalised vectors, with the prompts the model expects."""

    def __init__(self, model: SentenceTransformer, spec: ModelSpec, batch_size: int = 16) -> None:
        self.model = model
        self.spec = spec
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @classmethod
    def load(cls, spec: ModelSpec, batch_size: int = 16) -> Encoder:
        return cls(load_model(spec), spec, batch_size)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._encode(texts, self.spec.query_prompt, max(1, len(texts)))

    def passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        chunks = []
        starts = range(0, len(texts), _CHUNK)
        for start in tqdm(starts, unit="chunk", disable=not progress):
            with self._lock:
                part = texts[start : start + _CHUNK]
                chunks.append(self._encode(part, self.spec.passage_prompt, self.batch_size))
        return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            prompt=prompt,
            normalize_embeddings=True,
            convert_to_numpy=True,
            batch_size=batch_size,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def limit_threads() -> int:
    """Leave a server's event loop a core: torch computes on the others, on one at least."""
    # Oversubscribed, each operator of a forward pass waits for a thread the OS has put
    # aside: on two cores shared with other work, two torch threads encoded questions ten
    # times slower than one.
    import torch

    # The cores this process may run on (a container or taskset may allow fewer).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, (cores or 1) - 1)
    torch.set_num_threads(threads)
    return threads


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, load reports) out of consoles and logs."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
