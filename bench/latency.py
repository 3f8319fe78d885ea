"""One question, one answer: the service's whole answer against a bare encode of the question."""

from __future__ import annotations

from typing import Any

from .common import (
    Context,
    Row,
    Target,
    interleaved,
    log,
    p50,
    percentile,
    torch_threads_compared,
)

ROWS = (
    Row(
        "answer p50 (AnswerService.answer)",
        "search_p50_ms",
        "ms",
        "bare encode p50",
        "encode_p50_ms",
        "search_over_encode",
    ),
    Row(
        "answer p50, one torch thread",
        "search_p50_ms_1_thread",
        "ms",
        "bare encode p50",
        "encode_p50_ms_1_thread_interleaved",
        "search_over_encode_1_thread",
    ),
    Row(
        "bare encode p50, one torch thread",
        "encode_p50_ms_1_thread",
        "ms",
        "default threads",
        "encode_p50_ms_default_threads",
        "encode_1_thread_over_default",
    ),
)
TARGETS = (Target("search_over_encode", "<=", 2.0, "answer p50 / bare encode p50"),)


def run(ctx: Context) -> dict[str, Any]:
    """p50 of `model.encode(q)` (bare: a string, default arguments) and of
    `service.answer([q])` (prompt, encode with the sparse head, FAISS, the signals and their
    fusion, term coverage, highlights, the corpus-map position, the decision), alternated
    call by call over the same short questions; also the service's own encode step
    (`Encoder.question_passes([q])`), to split the difference between encoding and the rest, and
    a bare encode on one torch thread instead of the default (one per core), to show what
    thread contention costs."""
    import torch

    rounds = 60 if ctx.quick else 200
    service = ctx.service()
    model = ctx.model
    questions = ctx.questions

    def question(i: int) -> str:
        return questions[i % len(questions)]

    log(f"latency: {rounds} rounds of bare encode / Encoder.questions / AnswerService.answer")
    times = interleaved(
        {
            "encode": lambda i: model.encode(question(i)),
            "service_encode": lambda i: ctx.encoder.question_passes([question(i)]),
            "search": lambda i: service.answer([question(i)]),
        },
        rounds,
        warmup=5,
    )
    log("latency: bare encode on torch's default threads and on one thread, in blocks")
    default_threads, one_thread = torch_threads_compared(
        lambda i: model.encode(question(i)), blocks=6 if ctx.quick else 10, per_block=10
    )
    log("latency: bare encode / AnswerService.answer again, on one torch thread")
    default = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = interleaved(
            {
                "encode": lambda i: model.encode(question(i)),
                "search": lambda i: service.answer([question(i)]),
            },
            rounds // 2,
            warmup=3,
        )
    finally:
        torch.set_num_threads(default)
    encode = p50(times["encode"]) * 1000
    search = p50(times["search"]) * 1000
    single_encode = p50(single["encode"]) * 1000
    single_search = p50(single["search"]) * 1000
    return {
        "encode_p50_ms": round(encode, 2),
        "search_p50_ms": round(search, 2),
        "search_over_encode": round(search / encode, 3),
        "encode_p95_ms": round(percentile(times["encode"], 95) * 1000, 2),
        "search_p95_ms": round(percentile(times["search"], 95) * 1000, 2),
        "service_encode_p50_ms": round(p50(times["service_encode"]) * 1000, 2),
        "latency_calls": rounds,
        "torch_threads": default,
        "encode_p50_ms_default_threads": round(p50(default_threads) * 1000, 2),
        "encode_p50_ms_1_thread": round(p50(one_thread) * 1000, 2),
        "encode_1_thread_over_default": round(p50(one_thread) / p50(default_threads), 3),
        "encode_p50_ms_1_thread_interleaved": round(single_encode, 2),
        "search_p50_ms_1_thread": round(single_search, 2),
        "search_over_encode_1_thread": round(single_search / single_encode, 3),
    }
