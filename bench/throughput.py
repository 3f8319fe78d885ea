"""Answers per second under load: the answering service against bare batched encoding, and
the service with its question log against the same service without one.

The first baseline is what the encoder can do at best: `model.encode` of the same
questions, 64 at a time (the service's largest batch), with the prompt and normalisation
the Encoder uses, run in a fresh thread as the service's batcher runs it
(asyncio.to_thread). The service gets the same questions all in flight at once
(`AnswerService.ask` from as many asyncio tasks). Rounds of the two alternate, with a third
kind: the same batched encode on the main thread, because on a busy machine torch's thread
pool behaves differently there (see docs/benchmarks.md).

The question log is measured as the servers run it: torch on `limit_threads()` threads, a
real SQLite `QuestionLog` in the scratch folder, questions asked with front_end="bot".
Bursts through a service with the log and through one without alternate in one event loop;
a burst with the log is timed until its records are committed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from .common import Context, Row, Target, log, logged_questions, torch_threads_compared

BATCH = 64  # service.batching.MAX_BATCH

ROWS = (
    Row(
        "pipeline answers",
        "pipeline_answers_per_s",
        "/s",
        "batched encode",
        "encode_batched_per_s",
        "pipeline_over_batched",
    ),
    Row(
        "pipeline answers, question log on",
        "pipeline_log_on_per_s",
        "/s",
        "log off",
        "pipeline_log_off_per_s",
        "log_on_over_off",
    ),
    Row(
        "question log written / dropped / failed",
        ("pipeline_log_written", "pipeline_log_dropped", "pipeline_log_failed"),
        baseline="asked",
        baseline_value="pipeline_log_asked",
    ),
)
TARGETS = (
    Target("pipeline_over_batched", ">=", 0.8, "pipeline / batched encode answers per second"),
    Target("log_on_over_off", ">=", 0.9, "pipeline answers per second, question log on / off"),
)


def in_thread(call: Callable[[], float]) -> float:
    """call() in a new thread, as asyncio.to_thread would run it; its result."""
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    thread.join()
    if not result:
        raise RuntimeError("the encoding thread failed")
    return result[0]


async def burst(service: Any, questions: list[str], **ask: Any) -> tuple[float, list[Any]]:
    """Seconds for `service` to answer all `questions` asked at once, and its replies."""
    started = time.perf_counter()
    replies = await asyncio.gather(*(service.ask(q, **ask) for q in questions))
    elapsed = time.perf_counter() - started
    if len(replies) != len(questions):
        raise RuntimeError("the service lost answers")
    return elapsed, replies


def run(ctx: Context) -> dict[str, Any]:
    """Answers per second of bare batched encoding and of the service, same questions; of
    batched encoding on one torch thread instead of the default; and of the service with
    the question log on and off."""
    per_round = 192 if ctx.quick else 512
    rounds = 3 if ctx.quick else 6
    spec = ctx.settings.model.spec()
    model = ctx.model
    questions = [ctx.questions[i % len(ctx.questions)] for i in range(per_round)]

    def batched(i: int = 0) -> float:
        """Seconds to encode all the questions, 64 at a time (i < 0: one batch, untimed)."""
        started = time.perf_counter()
        for start in range(0, BATCH if i < 0 else len(questions), BATCH):
            model.encode(
                questions[start : start + BATCH],
                prompt=spec.query_prompt,
                normalize_embeddings=True,
                convert_to_numpy=True,
                batch_size=BATCH,
            )
        return time.perf_counter() - started

    async def fresh_burst() -> float:
        service = ctx.service()
        try:
            return (await burst(service, questions))[0]
        finally:
            await service.close()

    log(f"throughput: {rounds} rounds of {per_round} questions: batched encode, pipeline")
    batched()  # warm-up: first batches allocate
    asyncio.run(fresh_burst())
    kinds = {
        "batched": lambda: in_thread(batched),
        "pipeline": lambda: asyncio.run(fresh_burst()),
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
        **question_log_compared(ctx, questions, blocks=8 if ctx.quick else 12),
    }


def question_log_compared(ctx: Context, questions: list[str], blocks: int) -> dict[str, Any]:
    """Answers per second with the question log on and off, on the servers' torch threads;
    blocks alternate on, off / off, on; what the log wrote, dropped and failed."""
    import torch

    from service.runtime import limit_threads

    default = torch.get_num_threads()
    threads = limit_threads()
    log(
        f"throughput: {blocks} blocks of {len(questions)} questions, question log on / off, "
        f"{threads} torch thread(s) as `serve` sets"
    )
    try:
        measured = asyncio.run(_log_blocks(ctx, questions, blocks))
    finally:
        torch.set_num_threads(default)
    on_s, off_s = measured.pop("on"), measured.pop("off")
    on_rate = len(questions) * blocks / sum(on_s)
    off_rate = len(questions) * blocks / sum(off_s)
    return {
        "pipeline_log_on_per_s": round(on_rate, 1),
        "pipeline_log_off_per_s": round(off_rate, 1),
        "log_on_over_off": round(on_rate / off_rate, 3),
        "pipeline_log_blocks_per_s": {
            "on": [round(len(questions) / s, 1) for s in on_s],
            "off": [round(len(questions) / s, 1) for s in off_s],
        },
        "pipeline_log_torch_threads": threads,
        **measured,
    }


async def _log_blocks(ctx: Context, questions: list[str], blocks: int) -> dict[str, Any]:
    from questionlog.recorder import QuestionLog

    rows_before = logged_questions(ctx.settings.store)  # another group's, if any
    question_log = QuestionLog.open(ctx.settings.store)
    logged, plain = ctx.service(question_log), ctx.service()
    bot = {"front_end": "bot", "language": "ru"}
    seconds: dict[str, list[float]] = {"on": [], "off": []}
    flush_ms: list[float] = []
    asked = without_id = 0
    try:
        # Warm-up: the log's schema and first commit, both services' batchers.
        for service, ask in ((logged, bot), (plain, {})):
            await burst(service, questions[:BATCH], **ask)
        asked = BATCH
        for block in range(blocks):
            for kind in ("on", "off") if block % 2 == 0 else ("off", "on"):
                if kind == "off":
                    seconds["off"].append((await burst(plain, questions))[0])
                    continue
                elapsed, replies = await burst(logged, questions, **bot)
                # Timed until the block's records are committed, so that the whole of the
                # writer's work falls in its block (and none on the next); the wait shows
                # how far behind the answers the writer was.
                started = time.perf_counter()
                if not await asyncio.to_thread(question_log.flush):
                    raise RuntimeError("the question log did not flush within its timeout")
                flushed = time.perf_counter() - started
                seconds["on"].append(elapsed + flushed)
                flush_ms.append(flushed * 1000)
                asked += len(replies)
                without_id += sum(reply.record_id is None for reply in replies)
    finally:
        await plain.close()
        await logged.close()  # closes the log: writes what is queued
    stats = question_log.stats()
    return {
        "on": seconds["on"],
        "off": seconds["off"],
        "pipeline_log_asked": asked,
        "pipeline_log_written": stats.written,
        "pipeline_log_dropped": stats.dropped,
        "pipeline_log_failed": stats.failed,
        "pipeline_log_without_record_id": without_id,
        "pipeline_log_rows": logged_questions(ctx.settings.store) - rows_before,
        "pipeline_log_flush_ms_max": round(max(flush_ms), 1),
    }
