"""Russian word vectors (navec), for ranking Russian questions and naming uncovered words.

e5-small ranks deliberately reworded Russian questions worst ("бабки" for инвестиции,
"Поднебесная" for Китай); navec's news vectors know such paraphrase and slang, and a
question's mean word vector against a paragraph's adds Russian ranking signal that e5's
does not have (docs/quality.md). The vectors ship inside the natasha wheel
(MIT), read with `navec`; natasha's own dependencies are not needed, so the Makefile
installs it with `--no-deps`.
"""

from __future__ import annotations

import bisect
import gzip
import importlib.util
import os
import tarfile
import weakref
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from retrieval.model.spec import ModelError

NAVEC_FILE = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"  # inside the natasha package
DIMENSION = 300
INSTALL = ".venv/bin/python -m pip install --no-deps natasha==1.6.0"


class WordVectorsError(ModelError):
    """The word vectors are not installed (a ModelError: the CLI shows it as one line)."""


class WordVectors:
    """navec, looked up by lower-case word, each vector normalised.

    navec's own loader holds 115 MB: its 250,000 words as Python strings in a dict, and
    every word's product-quantised codes. Here the words are one sorted UTF-8 blob searched
    by bisection (6 MB), and a word's 100 codes are read from the archive when it is looked
    up: the file stores them uncompressed, and a question looks up a few words. The vectors
    are navec's to the bit (its `pq.bin`: a u32 header of words, dimension, subvectors and
    centroids; the codes, a byte per word and subvector; the centroids, float32).
    """

    def __init__(self, path: Path) -> None:
        with tarfile.open(path) as tar:
            vocab = tar.extractfile("vocab.bin")
            pq = tar.getmember("pq.bin")
            assert vocab is not None
            with gzip.GzipFile(mode="rb", fileobj=vocab) as unpacked:
                (size,) = np.frombuffer(unpacked.read(4), np.uint32)
                unpacked.read(4 * int(size))  # each word's count: not used
                words = unpacked.read().decode("utf-8").splitlines()
        self._fd = os.open(path, os.O_RDONLY)
        # Closed with the object, or at exit while `os` is still there (a __del__ run at
        # interpreter shutdown may find it gone).
        weakref.finalize(self, os.close, self._fd)
        header = np.frombuffer(os.pread(self._fd, 16, pq.offset_data), np.uint32)
        count, dimension, self._parts, centroids = (int(v) for v in header)
        self._codes_at = pq.offset_data + 16
        centroid_bytes = dimension * centroids * 4
        self._centroids = np.frombuffer(
            os.pread(self._fd, centroid_bytes, self._codes_at + count * self._parts), np.float32
        ).reshape(self._parts, centroids, dimension // self._parts)
        encoded = [w.encode("utf-8") for w in words]
        # Stable: of a word listed twice the later one wins, as in navec's own dict.
        order = sorted(range(len(encoded)), key=encoded.__getitem__)
        self._words = _SortedWords([encoded[i] for i in order])
        self._ids = np.array(order, np.int32)

    def vector(self, word: str) -> np.ndarray | None:
        key = word.encode("utf-8")
        at = bisect.bisect_right(self._words, key) - 1
        if at < 0 or self._words[at] != key:
            return None
        where = self._codes_at + int(self._ids[at]) * self._parts
        codes = np.frombuffer(os.pread(self._fd, self._parts, where), np.uint8)
        v = self._centroids[np.arange(self._parts), codes].reshape(-1)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def mean(self, words: Iterable[tuple[str, ...]]) -> np.ndarray | None:
        """The normalised mean vector of the words, each given as spellings to try in turn
        (e.g. the form as written, then its lemma); None when navec knows none of them."""
        found = []
        for spellings in words:
            for spelling in spellings:
                if (v := self.vector(spelling)) is not None:
                    found.append(v)
                    break
        if not found:
            return None
        mean = np.mean(found, axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


class _SortedWords(Sequence[bytes]):
    """Sorted words packed into one blob, indexable for bisection."""

    def __init__(self, words: list[bytes]) -> None:
        self._blob = b"".join(words)
        self._ends = np.cumsum([len(w) for w in words], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        start = int(self._ends[i - 1]) if i else 0
        return self._blob[start : int(self._ends[i])]


@cache
def load_word_vectors() -> WordVectors:
    """navec's news vectors from the natasha wheel, read once per process (~0.3 s)."""
    found = importlib.util.find_spec("natasha")
    path = Path(found.origin).parent / NAVEC_FILE if found and found.origin else None
    if path is None or not path.is_file():
        raise WordVectorsError(f"the Russian word vectors are not installed: run `{INSTALL}`")
    return WordVectors(path)
