"""One loaded index as the front ends see it, and how one is built, checked and opened.

A reply keeps the snapshot that produced it, so that a reply rendered after a reload still
shows the paragraphs, documents and whole answers of the index that chose them. Front ends
read the corpus through a snapshot and never touch the index itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.corpus import Document, Paragraph, load_corpus
from retrieval.index import Manifest, build_index, index_status, load_index
from retrieval.search import Searcher

from .settings import Settings

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Snapshot:
    """The corpus records and facts of one index build."""

    searcher: Searcher = field(repr=False)

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.searcher.documents

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return self.searcher.index.paragraphs

    def document(self, doc_id: str) -> Document:
        return self.searcher.document(doc_id)

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self.searcher.paragraph(paragraph_id)

    def whole_answer(self, paragraph: Paragraph) -> tuple[Paragraph, ...]:
        """Every paragraph of the interview answer `paragraph` belongs to, in order."""
        return self.searcher.whole_answer(paragraph)

    def label(self, paragraph: Paragraph) -> str:
        """A short topic label for the interviewer question `paragraph` answers."""
        return self.searcher.label(paragraph)

    def map_points(self) -> list[tuple[Paragraph, float, float]]:
        """Every paragraph on the corpus map (a question's reply has its own `position`)."""
        points = self.searcher.index.map_points
        return [(p, float(x), float(y)) for p, (x, y) in zip(self.paragraphs, points, strict=True)]

    @property
    def manifest(self) -> Manifest:
        return self.searcher.index.manifest

    @property
    def build_id(self) -> str:
        """Names this index build: each build is published in a folder of its own."""
        return self.searcher.index.path.name


def rebuild_index(
    settings: Settings, embed: Embed, corpus_dir: Path | None = None, out_dir: Path | None = None
) -> Manifest:
    """Parse the corpus and publish a new index build; `embed` encodes what changed."""
    corpus = load_corpus(corpus_dir or settings.corpus.dir)
    return build_index(corpus, settings.model.spec(), out_dir or settings.index.dir, embed)


def stale_reason(settings: Settings) -> str | None:
    """Why the index must be rebuilt before serving, or None."""
    corpus = load_corpus(settings.corpus.dir)
    return index_status(settings.index.dir, settings.model.spec(), corpus.fingerprint)


def open_snapshot(settings: Settings) -> Snapshot:
    """The live build, refused (IndexLoadError) when the model, prompts or corpus changed."""
    corpus = load_corpus(settings.corpus.dir)
    index = load_index(settings.index.dir, settings.model.spec(), corpus.fingerprint)
    return Snapshot(Searcher(index))
