"""Russian word vectors (navec), for ranking Russian questions and naming uncovered words.

e5-small ranks deliberately reworded Russian questions worst ("бабки" for инвестиции,
"Поднебесная" for Китай); navec's news vectors know such paraphrase and slang, and a
question's mean word vector against a paragraph's adds Russian ranking signal that e5's
does not have (docs/quality.md). The vectors ship inside the natasha wheel
(MIT), read with `navec`; natasha's own dependencies are not needed, so the Makefile
installs it with `--no-deps`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.model.spec import ModelError

NAVEC_FILE = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"  # inside the natasha package
DIMENSION = 300
INSTALL = ".venv/bin/python -m pip install --no-deps natasha==1.6.0"


class WordVectorsError(ModelError):
    """The word vectors are not installed (a ModelError: the CLI shows it as one line)."""


class WordVectors:
    """navec, looked up by lower-case word, each vector normalised."""

    def __init__(self, navec: Any) -> None:
        self._navec = navec

    def vector(self, word: str) -> np.ndarray | None:
        if word not in self._navec:
            return None
        v = np.asarray(self._navec[word], np.float32)
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


@cache
def load_word_vectors() -> WordVectors:
    """navec's news vectors from the natasha wheel, read once per process (~0.7 s)."""
    from navec import Navec

    found = importlib.util.find_spec("natasha")
    path = Path(found.origin).parent / NAVEC_FILE if found and found.origin else None
    if path is None or not path.is_file():
        raise WordVectorsError(f"the Russian word vectors are not installed: run `{INSTALL}`")
    return WordVectors(Navec.load(str(path)))
