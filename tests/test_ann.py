"""The FAISS index choice: exact when small, a recall-checked IVF when large, tuned on reload."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval.indexing import ann

DIM = 384


def clustered(n: int, seed: int, centres: int = 400, spread: float = 1.0) -> np.ndarray:
    """Normalised vectors around shared random centres, like topics of a corpus; spread
    enough that IVF needs more than a few probes to reach recall@10 0.95."""
    centre_rng = np.random.default_rng(12345)  # the same centres for corpus and queries
    middle = centre_rng.standard_normal((centres, DIM)).astype(np.float32)
    rng = np.random.default_rng(seed)
    picked = middle[rng.integers(0, centres, n)]
    noise = rng.standard_normal((n, DIM)).astype(np.float32) * spread
    vectors = picked + noise
    faiss.normalize_L2(vectors)
    return vectors


@pytest.fixture(scope="module")
def corpus() -> np.ndarray:
    return clustered(4000, seed=1)


@pytest.fixture(scope="module")
def ivf(corpus: np.ndarray) -> faiss.Index:
    return ann.make_index(corpus, flat_max=1000)


def recall_at_10(index: faiss.Index, corpus: np.ndarray, queries: np.ndarray) -> float:
    _, truth = faiss.knn(queries, corpus, 10, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def test_small_corpus_is_searched_exactly(corpus: np.ndarray) -> None:
    index = ann.make_index(corpus[:50])
    assert type(index) is faiss.IndexFlatIP
    assert index.ntotal == 50
    assert ann.describe(index) == "IndexFlatIP"


def test_exact_up_to_flat_max_then_ivf(corpus: np.ndarray, ivf: faiss.Index) -> None:
    assert type(ann.make_index(corpus[:1000], flat_max=1000)) is faiss.IndexFlatIP
    assert type(ivf) is faiss.IndexIVFFlat
    assert ivf.ntotal == len(corpus)
    assert ivf.nlist == ann.nlist_for(len(corpus))
    assert ivf.nprobe in ann.NPROBES
    assert ann.describe(ivf) == f"IndexIVFFlat(nlist={ivf.nlist},nprobe={ivf.nprobe})"


def test_ivf_finds_the_exact_neighbours_of_new_queries(corpus: np.ndarray, ivf) -> None:
    queries = clustered(300, seed=2)  # held out: not in the corpus
    assert recall_at_10(ivf, corpus, queries) >= 0.95


def test_ivf_scores_are_exact_cosines(corpus: np.ndarray, ivf) -> None:
    queries = clustered(5, seed=3)
    scores, ids = ivf.search(queries, 3)
    expected = np.einsum("qd,qkd->qk", queries, corpus[ids])
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("share", [0.5, 0.05, 0.002])
@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_a_restricted_search_finds_only_the_rows_let_through_and_misses_none_of_their_best(
    corpus: np.ndarray, ivf: faiss.Index, kind: str, share: float
) -> None:
    index = ann.make_index(corpus) if kind == "flat" else ivf
    rows = np.random.default_rng(7).random(len(corpus)) < share
    queries = clustered(100, seed=4)
    found = index.search(queries, 10, params=ann.restricted(index, rows).params)[1]
    assert np.all(rows[found[found >= 0]])
    # The exact top 10 among the rows let through: an inverted file narrowed to a few rows
    # probes more lists and finds their best as well as it finds the best of all rows.
    allowed = np.flatnonzero(rows)
    k = min(10, len(allowed))
    _, truth = faiss.knn(queries, corpus[allowed], k, metric=faiss.METRIC_INNER_PRODUCT)
    recall = np.mean(
        [len(set(allowed[t]) & set(f)) / len(t) for t, f in zip(truth, found, strict=True)]
    )
    assert recall >= (1.0 if kind == "flat" else 0.95)


def test_unreachable_recall_falls_back_to_exact(corpus: np.ndarray) -> None:
    index = ann.make_index(corpus[:2000], flat_max=1000, target_recall=1.01)
    assert type(index) is faiss.IndexFlatIP
    assert index.ntotal == 2000


def test_nlist_grows_like_the_square_root() -> None:
    assert ann.nlist_for(10) == 1
    assert ann.nlist_for(10_000) == 256  # capped at n // 39
    assert ann.nlist_for(100_000) == 1265
    assert ann.nlist_for(1_000_000) == 4000


@pytest.mark.parametrize("mmap", [False, True])
def test_nprobe_survives_write_and_read(
    tmp_path: Path, corpus: np.ndarray, ivf, monkeypatch: pytest.MonkeyPatch, mmap: bool
) -> None:
    monkeypatch.setattr(ann, "MMAP_MIN_BYTES", 0 if mmap else 1 << 40)
    path = tmp_path / "vectors.faiss"
    faiss.write_index(ivf, str(path))
    assert ann.io_flags(path) == (faiss.IO_FLAG_MMAP_IFC if mmap else 0)
    loaded = ann.read_index(path)
    assert type(loaded) is faiss.IndexIVFFlat
    assert loaded.nprobe == ivf.nprobe
    queries = clustered(20, seed=4)
    assert np.array_equal(loaded.search(queries, 10)[1], ivf.search(queries, 10)[1])


def test_big_files_are_mapped_small_ones_read(tmp_path: Path) -> None:
    small = tmp_path / "small.faiss"
    small.write_bytes(b"x")
    assert ann.io_flags(small) == 0
    assert ann.io_flags(tmp_path / "missing.faiss") == 0


def test_damaged_mapped_index_is_an_error_not_a_crash(
    tmp_path: Path, corpus: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "MMAP_MIN_BYTES", 0)
    path = tmp_path / "vectors.faiss"
    faiss.write_index(ann.flat_index(corpus[:100]), str(path))
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(RuntimeError):
        ann.read_index(path)
