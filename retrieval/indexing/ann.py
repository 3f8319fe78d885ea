"""Which FAISS index to search with, chosen by corpus size, and how to read it back.

Up to `FLAT_MAX` vectors the index is exact (`IndexFlatIP`): one query scans the matrix
in about 4 ms at 20,000 vectors (0.2 µs a vector on an idle core), a tenth of encoding
the question. Above that, an inverted file (`IndexIVFFlat`, inner product, nlist ~
4·sqrt(n)) answers in about 2 ms even at a million vectors, at recall@10 0.97 of exact
search, and keeps exact scores, so the answer threshold means what it meant before.
HNSW searches about as fast but builds 2–3.5 times slower (1M vectors on 2 cores: IVF
2 min, HNSW M=16 4.5 min, M=32 7.5 min) and takes more memory; every `interview-bot
index` rebuilds the index, so IVF it is. The numbers are in docs/benchmarks.md.

An approximate index is only used once it has proved itself: a sample of the corpus
vectors is searched as queries and must find `TARGET_RECALL` (plus a small margin) of
its exact top-10 neighbours, itself left out so that the query's own vector is not a free
hit: that tracks the recall of new questions within a point or two. `nprobe` is
raised until it does; if it never does, the index stays exact. FAISS stores `nprobe`
in `vectors.faiss`, so `read_index` gives back the tuned index with no side file.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss

log = logging.getLogger(__name__)

FLAT_MAX = 20_000  # vectors; above this an IVF index is tried
TARGET_RECALL = 0.95  # recall@10 an approximate index must reach to replace exact search
# Corpus vectors as queries are a little easier than new questions: ask for a bit more.
RECALL_MARGIN = 0.01
RECALL_K = 10
RECALL_SAMPLE = 500  # corpus vectors searched as queries by the recall check
NPROBES = (8, 16, 32, 64, 128, 256, 512)  # tried in order, smallest first
MMAP_MIN_BYTES = 64 << 20  # index files at least this big are memory-mapped, not copied
_TRAIN_PER_LIST = 40  # k-means sample: FAISS asks for at least 39 points a centroid


def make_index(
    matrix: np.ndarray,
    *,
    flat_max: int = FLAT_MAX,
    target_recall: float = TARGET_RECALL,
    seed: int = 0,
) -> faiss.Index:
    """An index over `matrix` (normalised float32 rows): exact when small, else a tuned IVF."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    n = matrix.shape[0]
    if n <= flat_max:
        return flat_index(matrix)
    ivf = ivf_index(matrix, seed=seed)
    if tune_nprobe(ivf, matrix, target_recall=target_recall, seed=seed) is None:
        log.warning(
            "IVF over %d vectors stays under recall@%d %.2f: using exact search",
            n,
            RECALL_K,
            target_recall,
        )
        return flat_index(matrix)
    return ivf


def tune_nprobe(
    ivf: faiss.IndexIVF, matrix: np.ndarray, *, target_recall: float = TARGET_RECALL, seed: int = 0
) -> int | None:
    """Set `ivf.nprobe` to the smallest of NPROBES that passes the recall check, and return
    it; None (nprobe left at the largest tried) when none does."""
    sample = _sample(matrix.shape[0], RECALL_SAMPLE, seed)
    exact = exact_neighbours(matrix, matrix[sample], RECALL_K + 1)
    for nprobe in (p for p in NPROBES if p <= ivf.nlist):
        ivf.nprobe = nprobe
        recall = leave_one_out_recall(ivf, matrix, sample, exact)
        log.info("IVF nlist=%d nprobe=%d: recall@%d %.3f", ivf.nlist, nprobe, RECALL_K, recall)
        if recall >= target_recall + RECALL_MARGIN:
            return nprobe
    return None


def flat_index(matrix: np.ndarray) -> faiss.Index:
    """Exact inner-product search: on normalised vectors, the score is the cosine."""
    import faiss

    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(np.ascontiguousarray(matrix, dtype=np.float32))
    return index


def nlist_for(n: int) -> int:
    """Inverted lists for n vectors: about 4·sqrt(n), at least 1 and at most n // 39."""
    return max(1, min(round(4 * math.sqrt(n)), n // 39))


def ivf_index(
    matrix: np.ndarray, *, nlist: int | None = None, nprobe: int = 1, seed: int = 0
) -> faiss.IndexIVFFlat:
    """An `IndexIVFFlat` (inner product) trained on a sample of `matrix`, holding all of it."""
    import faiss

    n, dim = matrix.shape
    nlist = nlist or nlist_for(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.train(matrix[_sample(n, _TRAIN_PER_LIST * nlist, seed)])
    index.add(matrix)
    index.nprobe = nprobe
    return index  # FAISS's Python wrapper keeps `quantizer` alive with the index


def exact_neighbours(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids of the exact top-k inner-product neighbours of each query (no index is built)."""
    import faiss

    _, ids = faiss.knn(queries, matrix, k, metric=faiss.METRIC_INNER_PRODUCT)
    return ids


def leave_one_out_recall(
    index: faiss.Index, matrix: np.ndarray, sample: np.ndarray, exact: np.ndarray
) -> float:
    """Recall@k of `index` for corpus vectors `sample` searched as queries, each one itself
    left out of both answers; a hit tied in score with the exact k-th neighbour counts."""
    k = exact.shape[1] - 1
    queries = matrix[sample]
    _, found = index.search(queries, k + 1)
    hits = 0
    for row, (query_id, truth, got) in enumerate(zip(sample, exact, found, strict=True)):
        truth_ids = [i for i in truth if i != query_id][:k]
        got_ids = [i for i in got if i != query_id and i >= 0][:k]
        kth = float(matrix[truth_ids[-1]] @ queries[row])
        truth_set = set(truth_ids)
        hits += sum(
            1 for i in got_ids if i in truth_set or float(matrix[i] @ queries[row]) >= kth - 1e-6
        )
    return hits / (k * len(sample))


def describe(index: faiss.Index) -> str:
    """The index type with its search parameters, e.g. `IndexIVFFlat(nlist=565,nprobe=16)`."""
    import faiss

    name = type(index).__name__
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        return f"{name}(nlist={ivf.nlist},nprobe={ivf.nprobe})"
    if hasattr(index, "hnsw"):
        return f"{name}(M={index.hnsw.nb_neighbors(1) // 2},efSearch={index.hnsw.efSearch})"
    return name


def io_flags(path: Path, mapped: bool = False) -> int:
    """How `read_index` opens `path`: memory-mapped when it is big or `mapped` asks for it,
    read into memory otherwise.

    `IO_FLAG_MMAP_IFC` maps the vectors of flat, IVF and HNSW indexes straight from the
    file: loading takes no time and no private memory, the pages are shared with the page
    cache and with other processes serving the same build. Builds are never rewritten in
    place (a rebuild writes a new folder), so a mapped file does not change under a reader.
    """
    import faiss

    try:
        big = path.stat().st_size >= MMAP_MIN_BYTES
    except OSError:
        return 0
    return faiss.IO_FLAG_MMAP_IFC if mapped or big else 0


def read_index(path: Path) -> faiss.Index:
    """Load an index written by `faiss.write_index`; its nprobe / efSearch come back with it."""
    import faiss

    return faiss.read_index(str(path), io_flags(path))


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    """`size` distinct row numbers out of n (all of them when n is smaller), sorted."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


@dataclass(frozen=True)
class Restriction:
    """Search parameters that let only some vectors be found, and what they point into."""

    params: faiss.SearchParameters
    # FAISS's selector reads the bitmap by pointer: both must live as long as the params.
    selector: faiss.IDSelector
    bitmap: np.ndarray


def restricted(index: faiss.Index, rows: np.ndarray) -> Restriction:
    """Search parameters that let only `rows` (a boolean per vector) be found.

    FAISS checks the filter as it scans, so a filter costs no more than the search it
    narrows. An inverted file probes more lists the fewer vectors pass: with a tenth of them
    let through, ten times as many, so that as many candidates are seen as without one (a
    very narrow filter scans every list, checking ids only, about 1 ms a million).
    """
    import faiss

    bitmap = np.packbits(rows, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
    params: faiss.SearchParameters
    if isinstance(index, faiss.IndexIVF):
        params = faiss.SearchParametersIVF()
        share = max(float(rows.mean()), 1 / len(rows))
        params.nprobe = min(index.nlist, math.ceil(index.nprobe / share))
    else:
        params = faiss.SearchParameters()
    params.sel = selector
    return Restriction(params, selector, bitmap)
