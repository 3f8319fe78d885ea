"""Question vectors as the question log keeps them: the report groups unanswered questions
by the vectors the service computed when it answered them, instead of encoding a year of
questions again.

A vector is stored as float16 (768 bytes for 384 dimensions; cosines stay within 1e-3)
with a tag naming the model and query prompt that made it: after a change of model, the
old vectors are in another space and the report encodes those questions afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable, Iterator

import numpy as np

from retrieval.model.loading import model_fingerprint
from retrieval.model.spec import ModelSpec


def vector_tag(spec: ModelSpec) -> str:
    """A short name for the space a question vector lies in: the model and its prompt."""
    key = f"{spec.name}\0{model_fingerprint(spec)}\0{spec.query_prompt}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def pack(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def unpack(data: bytes) -> np.ndarray | None:
    """The float32 vector `pack` stored, or None when the bytes are not one."""
    if len(data) % 2:
        return None
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


_sink = threading.local()


@contextlib.contextmanager
def vectors_collected() -> Iterator[list[np.ndarray | None]]:
    """The question vectors the encoder passes made in this thread within the block, in
    order (None for a question that was not encoded): how the batch worker gets them beside
    the replies of `AnswerService.answer` (whose signature the CLI, evaluation and tests
    rely on)."""
    collected: list[np.ndarray | None] = []
    previous = getattr(_sink, "vectors", None)
    _sink.vectors = collected
    try:
        yield collected
    finally:
        _sink.vectors = previous


def collect_vectors(vectors: Iterable[np.ndarray | None]) -> None:
    sink = getattr(_sink, "vectors", None)
    if sink is not None:
        sink.extend(vectors)
