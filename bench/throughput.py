"""Answers per second under load: AnswerPipeline against bare batched encoding.

The baseline is what the encoder can do at best: `model.encode` of the same questions, 64
at a time (the pipeline's largest batch), with the prompt and normalisation the Searcher
uses, run in a fresh thread as the pipeline runs it (asyncio.to_thread). The pipeline gets
the same questions all in flight at once (asyncio.gather). Rounds of the two alternate,
with a third kind: the same batched encode on the main thread, because on a busy machine
torch's thread pool behaves differently there (see bench/README.md).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from .common import Context, log, torch_threads_compared

BATCH = 64


def in_thread(call: Callable[[], float]) -> float:
    """call() in a new thread, as asyncio.to_thread would run it; its result."""
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    thread.join()
    if not result:
        raise RuntimeError("the encoding thread failed")
    return result[0]


def run(ctx: Context) -> dict[str, Any]:
    """Answers per second of bare batched encoding and of the pipeline, same questions;
    and of batched encoding on one torch thread instead of the default."""
    from retrieval.pipeline import AnswerPipeline

    per_round = 192 if ctx.quick else 512
    rounds = 3 if ctx.quick else 6
    searcher = ctx.searcher
    model = searcher.model
    questions = [ctx.questions[i % len(ctx.questions)] for i in range(per_round)]

    def batched(i: int = 0) -> float:
        """Seconds to encode all the questions, 64 at a time (i < 0: one batch, untimed)."""
        started = time.perf_counter()
        for start in range(0, BATCH if i < 0 else len(questions), BATCH):
            model.encode(
                questions[start : start + BATCH],
                prompt=searcher.query_prompt,
                normalize_embeddings=True,
                convert_to_numpy=True,
                batch_size=BATCH,
            )
        return time.perf_counter() - started

    async def burst() -> float:
        pipeline = AnswerPipeline(searcher)
        try:
            started = time.perf_counter()
            answers = await asyncio.gather(*(pipeline.answer(q) for q in questions))
            elapsed = time.perf_counter() - started
        finally:
            await pipeline.close()
        if len(answers) != len(questions) or not all(a.hits for a in answers):
            raise RuntimeError("the pipeline lost answers")
        return elapsed

    log(f"throughput: {rounds} rounds of {per_round} questions: batched encode, pipeline")
    batched()  # warm-up: first batches allocate
    asyncio.run(burst())
    kinds = {
        "batched": lambda: in_thread(batched),
        "pipeline": lambda: asyncio.run(burst()),
        "main_thread": batched,
    }
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    for i in range(rounds):
        order = list(kinds)[i % 3 :] + list(kinds)[: i % 3]
        for kind in order:
            seconds[kind].append(kinds[kind]())
    batched_s, pipeline_s = seconds["batched"], seconds["pipeline"]
    log("throughput: batched encode on torch's default threads and on one thread")
    default_s, one_thread_s = torch_threads_compared(
        batched, blocks=2 if ctx.quick else 4, per_block=1
    )
    encode_rate = per_round * rounds / sum(batched_s)
    pipeline_rate = per_round * rounds / sum(pipeline_s)
    return {
        "encode_batched_per_s": round(encode_rate, 1),
        "pipeline_answers_per_s": round(pipeline_rate, 1),
        "pipeline_over_batched": round(pipeline_rate / encode_rate, 3),
        "throughput_questions": per_round * rounds,
        "encode_batched_per_s_main_thread": round(
            per_round * rounds / sum(seconds["main_thread"]), 1
        ),
        "encode_batched_per_s_default_threads": round(
            len(default_s) * per_round / sum(default_s), 1
        ),
        "encode_batched_per_s_1_thread": round(
            len(one_thread_s) * per_round / sum(one_thread_s), 1
        ),
    }
