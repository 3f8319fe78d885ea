"""FAISS index types at 10k, 100k and 1M synthetic paragraphs: speed, recall, memory.

The vectors are synthesised from real e5 embeddings (see `Synthesiser` and
docs/benchmarks.md): the seed corpus is far too small to show what an index costs. Queries
are held out: drawn the same way, never added to the index. Exact search (`IndexFlatIP`)
over the same vectors is both the recall reference and the speed baseline of each size.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from .common import RESULTS, Context, Row, Target, fmt, interleaved, log, p50, table

BASE_TEXTS = 640  # real texts embedded to seed the synthetic vectors
NOISE = 0.75  # noise scale, relative to the spread of the real embeddings
QUERIES = 200  # held-out queries for recall
K = 10  # recall@K
SEARCH_K = 30  # what Ranker.rank asks FAISS for (its pool of candidate paragraphs)
TARGET_RECALL = 0.95
NPROBES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
EF_SEARCHES = (16, 32, 64, 128, 256, 512, 1024)
# The bound at a million paragraphs: a search this fast, at this recall, this small.
TARGET_N = 1_000_000
TARGET_P50_MS = 10.0
TARGET_MEMORY_MB = 2048

ROWS = (
    Row(
        f"scale: fastest at 1M with recall@10 >= {TARGET_RECALL} in <= {TARGET_MEMORY_MB} MiB",
        "scale_1m_p50_ms",
        "ms",
    ),
)
TARGETS = (
    Target(
        "scale_1m_p50_ms",
        "<=",
        TARGET_P50_MS,
        f"search p50 at n = 1M of the fastest index with recall@10 >= {TARGET_RECALL} "
        f"in <= {TARGET_MEMORY_MB} MiB",
    ),
)


def base_texts(paragraphs: list[str], questions: list[str], count: int) -> list[tuple[str, str]]:
    """(text, "passage" | "query"): the corpus's sentences as passages, the eval questions as
    queries, then random 3–16-word windows of the corpus, alternately as either, to `count`."""
    sentences = [
        s.strip()
        for text in paragraphs
        for s in re.split(r"(?<=[.!?])\s+", text)
        if len(s.split()) >= 3
    ]
    texts = [(s, "passage") for s in sentences] + [(q, "query") for q in questions]
    words = " ".join(paragraphs).split()
    rng = random.Random(0)
    while len(texts) < count:
        length = rng.randint(3, 16)
        start = rng.randrange(max(1, len(words) - length))
        texts.append(
            (" ".join(words[start : start + length]), ("passage", "query")[len(texts) % 2])
        )
    return texts[:count]


def base_vectors(ctx: Context) -> np.ndarray:
    """Real e5 embeddings of `base_texts`, cached in bench/results/ by texts and model."""
    from retrieval.corpus import load_corpus
    from retrieval.model.loading import model_fingerprint

    spec = ctx.settings.model.spec()
    corpus = load_corpus(ctx.corpus_dir)
    texts = base_texts([p.text for p in corpus.paragraphs], ctx.questions, BASE_TEXTS)
    key = hashlib.sha256(
        json.dumps(
            [model_fingerprint(spec), spec.query_prompt, spec.passage_prompt, texts]
        ).encode()
    ).hexdigest()[:16]
    cache = RESULTS / f"base-vectors-{key}.npy"
    if cache.exists():
        return np.load(cache)
    log(f"scale: embedding {len(texts)} real texts to seed the synthetic vectors (cached after)")
    vectors = np.empty((len(texts), ctx.encoder.question_vectors(["x"]).shape[1]), "f4")
    for kind, prompt in (("passage", spec.passage_prompt), ("query", spec.query_prompt)):
        rows = [i for i, (_, k) in enumerate(texts) if k == kind]
        vectors[rows] = ctx.model.encode(
            [texts[i][0] for i in rows],
            prompt=prompt,
            normalize_embeddings=True,
            convert_to_numpy=True,
            batch_size=64,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


class Synthesiser:
    """Unit vectors like e5's: a random point between two real embeddings, plus noise.

    v = normalise(w·a + (1−w)·b + noise · Σ^½ z): a and b are two real embeddings drawn at
    random, w ~ U(0, 1), z ~ N(0, I), and Σ the covariance of the real embeddings, so the
    noise keeps their shape (e5 vectors share a strong common direction) rather than
    being isotropic.
    """

    def __init__(self, base: np.ndarray, noise: float = NOISE) -> None:
        self.base = base.astype(np.float32)
        centred = self.base - self.base.mean(axis=0)
        _, singular, self.axes = np.linalg.svd(centred, full_matrices=False)
        self.scales = (noise * singular / np.sqrt(len(base))).astype(np.float32)

    def sample(self, n: int, seed: int, chunk: int = 100_000) -> np.ndarray:
        import faiss

        rng = np.random.default_rng(seed)
        out = np.empty((n, self.base.shape[1]), np.float32)
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            a = self.base[rng.integers(0, len(self.base), m)]
            b = self.base[rng.integers(0, len(self.base), m)]
            w = rng.random((m, 1), dtype=np.float32)
            z = rng.standard_normal((m, len(self.scales)), dtype=np.float32) * self.scales
            block = w * a + (1 - w) * b + z @ self.axes
            faiss.normalize_L2(block)
            out[start : start + m] = block
        return out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's exact top-K that `found` (its first K columns) holds."""
    return float(
        np.mean([len(set(f[:K]) & set(t[:K])) / K for f, t in zip(found, truth, strict=True)])
    )


def single_query_p50_ms(index: Any, queries: np.ndarray, count: int) -> float:
    """p50 of one-query searches for SEARCH_K neighbours, as the Ranker does them."""
    times = []
    for i in range(count):
        q = queries[i % len(queries) : i % len(queries) + 1]
        started = time.perf_counter()
        index.search(q, SEARCH_K)
        times.append(time.perf_counter() - started)
    return p50(times) * 1000


def size_and_load(index: Any, folder: Path) -> tuple[float, float]:
    """(MiB written by faiss.write_index, ms to read it back as load_index does)."""
    import faiss

    from retrieval.indexing import ann

    path = folder / "scale.faiss"
    faiss.write_index(index, str(path))
    try:
        size = path.stat().st_size / 2**20
        started = time.perf_counter()
        loaded = ann.read_index(path)
        load_ms = (time.perf_counter() - started) * 1000
        del loaded
    finally:
        path.unlink(missing_ok=True)
    return size, load_ms


def tune(index: Any, attribute: str, values: tuple[int, ...], queries, truth):
    """Set `attribute` to the smallest of `values` reaching TARGET_RECALL on the held-out
    queries (else the largest); return the sweep [(value, recall), ...]."""
    holder = index.hnsw if attribute == "efSearch" else index
    sweep = []
    for value in values:
        if attribute == "nprobe" and value > index.nlist:
            break
        setattr(holder, attribute, value)
        _, found = index.search(queries, K)
        sweep.append((value, round(recall(found, truth), 4)))
        if sweep[-1][1] >= TARGET_RECALL:
            break
    return sweep


class Size:
    """One n: its vectors, the held-out queries' exact neighbours, and the rows measured."""

    def __init__(self, ctx: Context, n: int, matrix: np.ndarray, queries: np.ndarray) -> None:
        import faiss

        from retrieval.indexing import ann

        self.ctx = ctx
        self.n = n
        self.matrix = matrix
        self.queries = queries
        self.scores, self.truth = faiss.knn(queries, matrix, K, metric=faiss.METRIC_INNER_PRODUCT)
        self.timed = (50 if ctx.quick else 100) if n < 1_000_000 else 30
        self.rows: list[dict[str, Any]] = []
        started = time.perf_counter()
        self.flat = ann.flat_index(matrix)
        self.flat_build_s = time.perf_counter() - started

    def measure(
        self,
        name: str,
        index: Any,
        build_s: float,
        params: str = "",
        sweep: list[tuple[int, float]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Time single-query searches (alternating with exact search, the baseline), take
        recall and size of `index`; add it as a row."""
        if index is self.flat:
            p50_ms = flat_p50_ms = single_query_p50_ms(index, self.queries, self.timed)
        else:
            times = interleaved(
                {
                    "flat": lambda i: self.flat.search(self.one_query(i), SEARCH_K),
                    "this": lambda i: index.search(self.one_query(i), SEARCH_K),
                },
                self.timed,
                warmup=2,
            )
            p50_ms, flat_p50_ms = p50(times["this"]) * 1000, p50(times["flat"]) * 1000
        _, found = index.search(self.queries, K)
        memory_mb, load_ms = size_and_load(index, self.ctx.folder)
        entry = {
            "n": self.n,
            "index": name,
            "params": params,
            "build_s": round(build_s, 2),
            "search_p50_ms": round(p50_ms, 3),
            "recall_at_10": round(recall(found, self.truth), 4),
            "memory_mb": round(memory_mb, 1),
            "load_ms": round(load_ms, 1),
            "flat_p50_ms": round(flat_p50_ms, 3),
            "vs_flat": round(flat_p50_ms / p50_ms, 1),
            **extra,
        }
        if sweep:
            entry["sweep"] = sweep
        self.rows.append(entry)
        log(
            f"scale: n={self.n:,} {name} {params}: {entry['search_p50_ms']} ms, "
            f"recall {entry['recall_at_10']}, {entry['memory_mb']} MiB, build {build_s:.1f} s"
        )
        return entry

    def one_query(self, i: int) -> np.ndarray:
        return self.queries[i % len(self.queries) : i % len(self.queries) + 1]


def measure_flat_and_ivf(size: Size) -> None:
    """Exact search; IVF-Flat (nprobe tuned on the held-out queries); what ann.make_index
    would choose (the same IVF, nprobe from its own check); IVF-SQ8 on the same centroids."""
    import faiss

    from retrieval.indexing import ann

    n, matrix, queries, truth = size.n, size.matrix, size.queries, size.truth
    flat_row = size.measure("IndexFlatIP", size.flat, size.flat_build_s)

    log(f"scale: n={n:,}: IVF")
    started = time.perf_counter()
    ivf = ann.ivf_index(matrix)
    ivf_build = time.perf_counter() - started
    sweep = tune(ivf, "nprobe", NPROBES, queries, truth)
    size.measure("IndexIVFFlat", ivf, ivf_build, f"nlist={ivf.nlist},nprobe={ivf.nprobe}", sweep)

    chosen = None
    if n > ann.FLAT_MAX:
        started = time.perf_counter()
        chosen = ann.tune_nprobe(ivf, matrix)
        check_s = time.perf_counter() - started
    if chosen is None:
        size.rows.append({**flat_row, "index": "auto (ann.make_index)", "params": "IndexFlatIP"})
    else:
        params = f"IndexIVFFlat nlist={ivf.nlist},nprobe={chosen}"
        size.measure(
            "auto (ann.make_index)", ivf, ivf_build + check_s, params, check_s=round(check_s, 2)
        )

    log(f"scale: n={n:,}: IVF-SQ8 on the same coarse quantizer")
    started = time.perf_counter()
    sq8 = faiss.IndexIVFScalarQuantizer(
        faiss.clone_index(ivf.quantizer),
        matrix.shape[1],
        ivf.nlist,
        faiss.ScalarQuantizer.QT_8bit,
        faiss.METRIC_INNER_PRODUCT,
    )
    del ivf
    sq8.train(matrix[: min(n, 100_000)])  # the quantizer is trained already: this fits SQ8
    sq8.add(matrix)
    sq8_build = ivf_build + time.perf_counter() - started
    sweep = tune(sq8, "nprobe", NPROBES, queries, truth)
    params = f"SQ8,nlist={sq8.nlist},nprobe={sq8.nprobe}"
    size.measure("IndexIVFScalarQuantizer", sq8, sq8_build, params, sweep)


def measure_hnsw(size: Size, m: int, last: tuple[int, float] | None, budget_s: float) -> float:
    """IndexHNSWFlat with M=m, efSearch tuned on the held-out queries; its build seconds.

    Skipped (returning 0) when the build, extrapolated from the last one of the same M
    (`last` = (n, seconds)) as linear in n plus 20 %, would take more than `budget_s`.
    """
    import faiss

    if last is not None:
        estimate = last[1] * size.n / last[0] * 1.2
        if estimate > budget_s:
            reason = f"build estimated at {estimate:.0f} s > budget {budget_s:.0f} s"
            size.rows.append(
                {"n": size.n, "index": "IndexHNSWFlat", "params": f"M={m}", "skipped": reason}
            )
            log(f"scale: n={size.n:,} HNSW M={m} skipped: {reason}")
            return 0.0
    log(f"scale: n={size.n:,}: HNSW M={m}")
    hnsw = faiss.IndexHNSWFlat(size.matrix.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    hnsw.add(size.matrix)
    build_s = time.perf_counter() - started
    sweep = tune(hnsw, "efSearch", EF_SEARCHES, size.queries, size.truth)
    efc, efs = hnsw.hnsw.efConstruction, hnsw.hnsw.efSearch
    size.measure("IndexHNSWFlat", hnsw, build_s, f"M={m},efC={efc},efSearch={efs}", sweep)
    return build_s


def run(ctx: Context) -> dict[str, Any]:
    """Rows of n, index, params, build_s, search_p50_ms, recall_at_10, memory_mb, load_ms
    and vs_flat (exact search p50 / this p50) for each size and index type; at 1M (full
    mode), the fastest index within the recall and memory bounds."""
    sizes = [10_000, 100_000] if ctx.quick else [10_000, 100_000, TARGET_N]
    budget_s = ctx.scale_max_build_s or (60 if ctx.quick else 900)
    synth = Synthesiser(base_vectors(ctx))
    queries = synth.sample(QUERIES, seed=1)
    rows: list[dict[str, Any]] = []
    data: dict[str, Any] = {"noise": NOISE, "base_texts": BASE_TEXTS, "queries": QUERIES}
    hnsw_last: dict[int, tuple[int, float]] = {}
    for n in sizes:
        log(f"scale: n={n:,}: synthesising")
        size = Size(ctx, n, synth.sample(n, seed=n), queries)
        data[f"query_top1_cos_{n}"] = round(float(size.scores[:, 0].mean()), 4)
        data[f"query_top10_cos_{n}"] = round(float(size.scores[:, K - 1].mean()), 4)
        if n == sizes[0]:
            block = size.matrix[:2000] @ size.matrix[:2000].T
            data["mean_pairwise_cos"] = round(float(block[np.triu_indices(2000, 1)].mean()), 4)
        measure_flat_and_ivf(size)
        for m in (16, 32):
            build_s = measure_hnsw(size, m, hnsw_last.get(m), budget_s)
            if build_s:
                hnsw_last[m] = (n, build_s)
        rows.extend(size.rows)
        del size
    result: dict[str, Any] = {"scale": rows, "scale_data": data}
    best = best_at_target(rows)
    if best is not None:  # exact search always has the recall: None means 1M was not run
        result["scale_1m_p50_ms"] = best["search_p50_ms"]
        result["scale_1m_best"] = best
    return result


def best_at_target(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fastest row at TARGET_N within the recall and memory bounds, or None."""
    fits = [
        r
        for r in rows
        if r.get("n") == TARGET_N
        and "search_p50_ms" in r
        and r["recall_at_10"] >= TARGET_RECALL
        and r["memory_mb"] <= TARGET_MEMORY_MB
    ]
    if not fits:
        return None
    best = min(fits, key=lambda r: r["search_p50_ms"])
    keep = ("index", "params", "search_p50_ms", "recall_at_10", "memory_mb")
    return {k: best[k] for k in keep}


def report(results: dict[str, Any]) -> str | None:
    """The scale rows as a table, and the index that meets the 1M bound, if measured."""
    rows = results.get("scale", [])
    if not rows:
        return None
    lines = []
    for row in rows:
        if "skipped" in row:
            skipped = "skipped: " + row["skipped"]
            lines.append([f"{row['n']:,}", row["index"], row["params"], *[""] * 5, skipped])
            continue
        lines.append(
            [
                f"{row['n']:,}",
                row["index"],
                row["params"],
                fmt(row["build_s"]),
                fmt(row["search_p50_ms"]),
                fmt(row.get("vs_flat")),
                f"{row['recall_at_10']:.3f}",
                fmt(row["memory_mb"]),
                fmt(row["load_ms"]),
            ]
        )
    header = ["n", "index", "params", "build s", "p50 ms", "× flat", "recall@10", "MiB", "load ms"]
    out = table(header, lines)
    if "scale_1m_best" in results:
        out += f"\n\nfastest at 1M within the bounds: {results['scale_1m_best']}"
    return out
