"""One question, one answer: the Searcher's full answer against a bare encode of the question."""

from __future__ import annotations

from typing import Any

from .common import Context, interleaved, log, p50, percentile, torch_threads_compared


def run(ctx: Context) -> dict[str, Any]:
    """p50 of `model.encode(q)` (bare: a string, default arguments) and of
    `searcher.search(q)` (prompt, normalise, FAISS, ranking), alternated call by call
    over the same short questions; also the Searcher's own encode step, to split the
    difference between encoding and searching, and a bare encode on one torch thread
    instead of the default (one per core), to show what thread contention costs."""
    import torch

    rounds = 60 if ctx.quick else 200
    searcher = ctx.searcher
    model = searcher.model
    questions = ctx.questions

    def question(i: int) -> str:
        return questions[i % len(questions)]

    log(f"latency: {rounds} rounds of bare encode / Searcher.encode / Searcher.search")
    times = interleaved(
        {
            "encode": lambda i: model.encode(question(i)),
            "searcher_encode": lambda i: searcher.encode([question(i)]),
            "search": lambda i: searcher.search(question(i)),
        },
        rounds,
        warmup=5,
    )
    log("latency: bare encode on torch's default threads and on one thread, in blocks")
    default_threads, one_thread = torch_threads_compared(
        lambda i: model.encode(question(i)), blocks=6 if ctx.quick else 10, per_block=10
    )
    log("latency: bare encode / Searcher.search again, on one torch thread")
    default = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = interleaved(
            {
                "encode": lambda i: model.encode(question(i)),
                "search": lambda i: searcher.search(question(i)),
            },
            rounds // 2,
            warmup=3,
        )
    finally:
        torch.set_num_threads(default)
    encode = p50(times["encode"]) * 1000
    search = p50(times["search"]) * 1000
    searcher_encode = p50(times["searcher_encode"]) * 1000
    return {
        "encode_p50_ms": round(encode, 2),
        "search_p50_ms": round(search, 2),
        "search_over_encode": round(search / encode, 3),
        "encode_p95_ms": round(percentile(times["encode"], 95) * 1000, 2),
        "search_p95_ms": round(percentile(times["search"], 95) * 1000, 2),
        "searcher_encode_p50_ms": round(searcher_encode, 2),
        "latency_calls": rounds,
        "torch_threads": torch.get_num_threads(),
        "encode_p50_ms_default_threads": round(p50(default_threads) * 1000, 2),
        "encode_p50_ms_1_thread": round(p50(one_thread) * 1000, 2),
        "encode_1_thread_over_default": round(p50(one_thread) / p50(default_threads), 3),
        "search_over_encode_1_thread": round(p50(single["search"]) / p50(single["encode"]), 3),
    }
