"""The real bot (bot.application.build_application) against the fake Bot API on 127.0.0.1.

Many private chats each send one question at the same moment; the bot long-polls the fake
server (`serving_bot`, as `interview-bot serve` runs it), answers through its own
AnswerService, and each reply's arrival at the server ends that question's latency. Run
twice: with the rate limiter the bot is deployed with (bot.network.RetryingRateLimiter),
and with it taken out, which shows what the limiter costs. The baseline, measured just
before in the same process, is the same questions through a bare AnswerService.

The fake server (testkit/fake_telegram.py) runs in a child process (bench/fake_server.py),
so that it does not compete with the bot for this process's GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any
from unittest import mock

from .common import ROOT, Context, Row, child_env, log, percentile

FIRST_CHAT = 500_000

ROWS = (
    Row(
        "bot answers, rate limiter on",
        "bot_answers_per_s",
        "/s",
        "pipeline",
        "bot_pipeline_answers_per_s",
        "bot_over_pipeline",
    ),
    Row(
        "bot answers, rate limiter off",
        "bot_nolimit_answers_per_s",
        "/s",
        "pipeline",
        "bot_pipeline_answers_per_s",
        "bot_nolimit_over_pipeline",
    ),
    Row("bot latency p50 / p95, limiter on", ("bot_p50_ms", "bot_p95_ms"), "ms"),
    Row("bot latency p50 / p95, limiter off", ("bot_nolimit_p50_ms", "bot_nolimit_p95_ms"), "ms"),
)
TARGETS = ()


def available() -> str | None:
    """None when the bot can be measured, else why not."""
    try:
        from bot.application import build_application  # noqa: F401
    except ImportError as exc:
        return f"not available (bot.application.build_application: {exc})"
    try:
        _fake_telegram()
    except ImportError as exc:
        return f"not available (testkit/fake_telegram.py: {exc})"
    return None


def _fake_telegram() -> Any:
    from testkit.fake_telegram import FakeTelegram

    return FakeTelegram


async def _pipeline_burst(ctx: Context, questions: list[str]) -> float:
    """Seconds for a bare AnswerService to answer all `questions` at once (the baseline)."""
    service = ctx.service()
    try:
        started = time.perf_counter()
        await asyncio.gather(*(service.ask(q) for q in questions))
        return time.perf_counter() - started
    finally:
        await service.close()


class FakeServer:
    """bench/fake_server.py in a child process, spoken to line by line."""

    def __init__(self, child: asyncio.subprocess.Process, base_url: str, token: str) -> None:
        self.child = child
        self.base_url = base_url
        self.token = token

    @classmethod
    async def start(cls, ctx: Context) -> FakeServer:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_server",
            cwd=ROOT,
            env=child_env(ctx.config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        hello = json.loads(await cls._line(child))
        return cls(child, hello["base_url"], hello["token"])

    @staticmethod
    async def _line(child: asyncio.subprocess.Process) -> bytes:
        assert child.stdout is not None
        line = await child.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake Bot API server exited ({await child.wait()})")
        return line

    async def burst(self, questions: list[str], first_chat: int) -> dict[str, Any]:
        command = {
            "cmd": "burst",
            "questions": questions,
            "first_chat": first_chat,
            "timeout": 60 + len(questions),
        }
        assert self.child.stdin is not None
        self.child.stdin.write((json.dumps(command) + "\n").encode())
        await self.child.stdin.drain()
        return json.loads(await self._line(self.child))

    async def stop(self) -> None:
        assert self.child.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.child.stdin.write(b'{"cmd": "quit"}\n')
            await self.child.stdin.drain()
        try:
            await asyncio.wait_for(self.child.wait(), 15)
        except TimeoutError:
            self.child.kill()
            await self.child.wait()


class BotFailed(RuntimeError):
    """The bot raised while handling the burst: its figures would time error replies."""


async def _bot_burst(ctx: Context, questions: list[str], rate_limiter: bool) -> dict[str, Any]:
    """Start a fake server and the bot on it; one question from each of len(questions) new
    chats at once; answers per second and latency percentiles. BotFailed when a handler
    raised (the bot's error handler answers too, so the burst would still complete)."""
    from telegram.ext import ApplicationBuilder

    from bot.application import build_application, serving_bot
    from bot.settings import BotConfig, BotSettings, TelegramSettings

    server = await FakeServer.start(ctx)
    try:
        config = BotConfig(
            TelegramSettings(base_url=server.base_url, token=server.token), BotSettings()
        )
        service = ctx.service()
        no_limiter = mock.patch.object(ApplicationBuilder, "rate_limiter", lambda self, _: self)
        with contextlib.nullcontext() if rate_limiter else no_limiter:
            application = build_application(service, config)
        errors: list[BaseException] = []

        async def count_error(_: object, context: Any) -> None:
            errors.append(context.error)

        application.add_error_handler(count_error)
        try:
            async with serving_bot(application):
                await server.burst(questions[:1], FIRST_CHAT - 1)  # warm-up: connections open
                result = await server.burst(questions, FIRST_CHAT)
        finally:
            await service.close()
    finally:
        await server.stop()
    if errors:
        first = errors[0]
        raise BotFailed(
            f"{len(errors)} of {len(questions) + 1} updates raised, "
            f"first: {type(first).__name__}: {first}"
        )
    latencies = result["latencies"]
    return {
        "answers_per_s": round(len(questions) / result["seconds"], 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "api_calls_per_answer": round(result["api_calls"] / len(questions), 2),
    }


def run(ctx: Context) -> dict[str, Any]:
    """bot_answers_per_s, bot_p50_ms, bot_p95_ms with the rate limiter (as deployed), the
    same without it, and bot_over_pipeline against a bare pipeline burst of the same size."""
    reason = available()
    if reason is not None:
        log(f"bot: {reason}")
        return {"bot": reason}
    chats = 120 if ctx.quick else 300
    questions = [ctx.questions[i % len(ctx.questions)] for i in range(chats)]
    log(f"bot: {chats} chats at once, rate limiter on and off, fake Bot API on 127.0.0.1")
    baseline_s = asyncio.run(_pipeline_burst(ctx, questions))
    try:
        on = asyncio.run(_bot_burst(ctx, questions, rate_limiter=True))
        off = asyncio.run(_bot_burst(ctx, questions, rate_limiter=False))
    except BotFailed as failure:
        log(f"bot: failed: {failure}")
        return {"bot": f"failed ({failure})"}
    baseline = chats / baseline_s
    return {
        "bot_chats": chats,
        "bot_answers_per_s": on["answers_per_s"],
        "bot_p50_ms": on["p50_ms"],
        "bot_p95_ms": on["p95_ms"],
        "bot_api_calls_per_answer": on["api_calls_per_answer"],
        "bot_nolimit_answers_per_s": off["answers_per_s"],
        "bot_nolimit_p50_ms": off["p50_ms"],
        "bot_nolimit_p95_ms": off["p95_ms"],
        "bot_pipeline_answers_per_s": round(baseline, 1),
        "bot_over_pipeline": round(on["answers_per_s"] / baseline, 3),
        "bot_nolimit_over_pipeline": round(off["answers_per_s"] / baseline, 3),
    }
