"""One loaded index as the front ends see it, and how one is built, checked and opened.

A reply keeps the snapshot that produced it, so that a reply rendered after a reload still
shows the paragraphs, documents and whole answers of the index that chose them. Front ends
read the corpus through `snapshot.corpus` and never touch the index itself. A snapshot also
holds the decision it was opened with (decision.json, read again at each reload), so that
the ranking weights and the decision that reads their scores always come from one fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from records import Paragraph, UserError, permalink
from retrieval.corpus import Corpus, load_corpus
from retrieval.indexing.build import PassageEncoder, build_index
from retrieval.indexing.loading import (
    IndexLoadError,
    LoadedIndex,
    Manifest,
    index_status,
    load_index,
)
from retrieval.ranking.ranker import Ranker

from .citation import Citation, cite
from .decision import DecisionParams, Policy, load_decision
from .settings import Settings


class ReadOnlyError(UserError):
    """A read-only replica ([index] read_only) was asked to build or add to the corpus."""


@dataclass(frozen=True)
class Snapshot:
    """One index build being served, and the decision over its rankings."""

    index: LoadedIndex = field(repr=False)
    ranker: Ranker = field(repr=False)
    policy: Policy = field(repr=False)

    @property
    def corpus(self) -> Corpus:
        """The documents and paragraphs of this build, every question labelled."""
        return self.index.corpus

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    @property
    def build_id(self) -> str:
        return self.index.build_id

    @property
    def answer_confidence(self) -> float:
        """The confidence a reply needs to be answered (the decision's fitted threshold)."""
        return self.policy.params.t_answer

    def permalink(self, paragraph_id: str) -> str:
        """The address of a paragraph's own page (whole when [web] public_url is set)."""
        return permalink(paragraph_id, self.ranker.public_url)

    def cite(self, paragraph: Paragraph) -> Citation:
        """Who said `paragraph`, where and when; its link too when the page's address is
        known."""
        link = self.permalink(paragraph.id) if self.ranker.public_url else None
        return cite(paragraph, self.corpus.document(paragraph.document_id), link)

    def map_points(self) -> list[tuple[Paragraph, float, float]]:
        """Every paragraph on the corpus map (a question's reply has its own `position`)."""
        points = self.index.map_points
        paragraphs = self.corpus.paragraphs
        return [(p, float(x), float(y)) for p, (x, y) in zip(paragraphs, points, strict=True)]


def rebuild_index(
    settings: Settings,
    embed: PassageEncoder,
    corpus_dir: Path | None = None,
    out_dir: Path | None = None,
) -> Manifest:
    """Parse the corpus and publish a new index build; `embed` encodes what changed."""
    corpus = load_corpus(corpus_dir or settings.corpus.dir)
    return build_index(corpus, settings.model.spec(), out_dir or settings.index.dir, embed)


def stale_reason(settings: Settings) -> str | None:
    """Why the index must be rebuilt before serving, or None."""
    corpus = load_corpus(settings.corpus.dir)
    return index_status(settings.index.dir, settings.model.spec(), corpus.fingerprint)


def open_index(settings: Settings) -> LoadedIndex:
    """The live build, refused (IndexLoadError) when the model, prompts or corpus changed.

    A read-only replica serves the build published in [index] dir as it is: the build
    carries its corpus, so the replica's [corpus] is not read (it may be elsewhere, or
    ahead of what was published); every file is memory-mapped (shared between replicas);
    and a refusal says to publish a build, not to make one.
    """
    index, spec = settings.index, settings.model.spec()
    if index.read_only:
        try:
            return load_index(index.dir, spec, mapped=True)
        except IndexLoadError as error:
            advice = (
                f"publish a build made with this config into it (`interview-bot index --out "
                f"{index.dir}`); this replica only reads it ([index] read_only)"
            )
            raise IndexLoadError(error.problem, advice) from error
    corpus = load_corpus(settings.corpus.dir)
    return load_index(index.dir, spec, corpus.fingerprint)


def ensure_builder(settings: Settings) -> None:
    """ReadOnlyError when this process only serves what others publish in [index] dir."""
    if settings.index.read_only:
        raise ReadOnlyError(
            f"{settings.index.dir} is served read-only ([index] read_only): builds are "
            f"published there by `interview-bot index --out {settings.index.dir}`, and "
            "interviews added where that runs"
        )


def open_snapshot(settings: Settings, decision: DecisionParams | None = None) -> Snapshot:
    """The live build with the decision of `[search] decision` (or `decision`), refused
    (DecisionError) when that was fitted for another model, recipe or set of signals."""
    index = open_index(settings)
    spec = settings.model.spec()
    params = decision or load_decision(settings.search.decision, spec, index.signals.available)
    ranker = Ranker(index, params.weights, public_url=settings.public_url)
    return Snapshot(index, ranker, Policy(params))
