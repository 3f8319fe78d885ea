"""One heavy client must not slow another: a victim beside an abuser, over loopback HTTP to
`interview-bot web` in its own process, with the per-client limits as deployed.

The victim (from 127.0.0.1) asks the eval set's short questions one at a time, one every
`VICTIM_PERIOD` seconds (under its 120 a minute). The abuser (from 127.0.0.2: Linux routes
all of 127/8 to loopback, so it is another client) keeps `ABUSER_CONNECTIONS` connections
busy with the heaviest question the service accepts (just under its token cap: about ten
times a short question's encoder time), ignoring 429 and 503 and asking again 50 ms later.
Phases with and without the abuser alternate; the figure is the victim's p50 latency with
the abuser over its p50 without, in the same run.

Then an overload: `OVERLOAD_CLIENTS` clients, each from an address of its own, each asking
one question at a time: the queue in front of the encoder is bounded, so some get 503 with
Retry-After rather than everyone waiting seconds. And the server's resident memory, at
start and at its peak over the whole group.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from .common import Context, Row, Target, log, memory_mb, p50, percentile
from .webload import Server

VICTIM = "127.0.0.1"
ABUSER = "127.0.0.2"
VICTIM_PERIOD = 0.6
ABUSER_CONNECTIONS = 16
ABUSER_PAUSE = 0.05
OVERLOAD_CLIENTS = 200
OVERLOAD_SECONDS = 10.0
TARGET_RATIO = 2.0

ROWS = (
    Row(
        "victim p50 beside a heavy-question abuser",
        "fairness_victim_abused_p50_ms",
        "ms",
        "victim alone",
        "fairness_victim_alone_p50_ms",
        "fairness_abused_over_alone",
    ),
    Row(
        "abuser: answered / refused (429, 503)",
        ("fairness_abuser_answered", "fairness_abuser_refused"),
    ),
    Row(
        f"{OVERLOAD_CLIENTS} clients at once: p50 answered / share refused with 503",
        ("fairness_overload_p50_ms", "fairness_overload_503_share"),
        baseline="victim alone",
        baseline_value="fairness_victim_alone_p50_ms",
    ),
    Row(
        "server resident memory: at start / peak",
        ("fairness_server_start_mb", "fairness_server_peak_mb"),
        "MiB",
    ),
)
TARGETS = (
    Target(
        "fairness_abused_over_alone",
        "<=",
        TARGET_RATIO,
        "victim p50 beside a heavy-question abuser / victim p50 alone",
    ),
)


class Client:
    """Keep-alive HTTP/1.1 GETs from one local address; reconnects when the server closes."""

    def __init__(self, url: str, address: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.netloc = parts.netloc
        self.address = address
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, question: str) -> int:
        """GET /api/search?q=question; the status (0 when the connection failed)."""
        path = "/api/search?" + urlencode({"q": question})
        for _ in range(2):
            try:
                if self.streams is None:
                    self.streams = await asyncio.open_connection(
                        self.host, self.port, local_addr=(self.address, 0)
                    )
                reader, writer = self.streams
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.netloc}\r\n\r\n".encode())
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                status = int(head.split(" ", 2)[1])
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in head.split("\r\n")[1:])
                }
                await reader.readexactly(int(headers.get("content-length", "0")))
                if headers.get("connection", "").lower() == "close":
                    await self.close()
                return status
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
        return 0

    async def close(self) -> None:
        if self.streams is not None:
            _, writer = self.streams
            self.streams = None
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def victim(
    url: str, questions: list[str], seconds: float
) -> tuple[list[float], Counter[int]]:
    """Latencies of the victim's answered questions over `seconds`, and the statuses of
    those not answered."""
    client = Client(url, VICTIM)
    latencies: list[float] = []
    failed: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status = await client.get(questions[i % len(questions)])
        elapsed = time.perf_counter() - started
        if status == 200:
            latencies.append(elapsed)
        else:
            failed[status] += 1
        i += 1
        await asyncio.sleep(max(0.0, VICTIM_PERIOD - elapsed))
    await client.close()
    return latencies, failed


async def abuser(url: str, heavy: str, stop: asyncio.Event) -> tuple[int, int]:
    """Heavy questions on ABUSER_CONNECTIONS connections until `stop`: (answered, refused)."""
    counts = [0, 0]

    async def one(n: int) -> None:
        client = Client(url, ABUSER)
        i = 0
        while not stop.is_set():
            status = await client.get(f"{heavy[: len(heavy) - 8]}{n:04d}{i:04d}")
            i += 1
            if status == 200:
                counts[0] += 1
            else:
                counts[1] += 1
                await asyncio.sleep(ABUSER_PAUSE)  # Retry-After ignored
        await client.close()

    await asyncio.gather(*(one(n) for n in range(ABUSER_CONNECTIONS)))
    return counts[0], counts[1]


async def overload(url: str, questions: list[str]) -> tuple[list[float], int, int]:
    """OVERLOAD_CLIENTS clients from addresses of their own, one question at a time each."""
    latencies: list[float] = []
    statuses = {"busy": 0, "other": 0}
    deadline = time.monotonic() + OVERLOAD_SECONDS

    async def one(n: int) -> None:
        client = Client(url, f"127.0.{1 + n // 250}.{1 + n % 250}")
        i = n
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status = await client.get(questions[i % len(questions)])
            i += OVERLOAD_CLIENTS
            if status == 200:
                latencies.append(time.perf_counter() - started)
            elif status == 503:
                statuses["busy"] += 1
                await asyncio.sleep(1.0)  # as its Retry-After asks
            else:
                statuses["other"] += 1
        await client.close()

    await asyncio.gather(*(one(n) for n in range(OVERLOAD_CLIENTS)))
    return latencies, statuses["busy"], statuses["other"]


def heaviest_question(ctx: Context) -> str:
    """The longest run of punctuation the service still accepts (its token cap)."""
    cap = ctx.settings.search.max_query_tokens
    text = ""
    while ctx.encoder.question_tokens(text + "?!") <= cap and len(text) < 490:
        text += "?!"
    return text


def fairness_config(ctx: Context) -> Path:
    """The workspace's config with the [web] limits as deployed (the defaults)."""
    text = ctx.config.read_text(encoding="utf-8")
    config = ctx.folder / "fairness.toml"
    config.write_text(text.split("[web]")[0] + "[web]\n", encoding="utf-8")
    return config


def run(ctx: Context) -> dict[str, Any]:
    seconds = 20.0 if ctx.quick else 40.0
    rounds = 2 if ctx.quick else 3
    heavy = heaviest_question(ctx)
    questions = ctx.questions
    loop = asyncio.new_event_loop()
    alone: list[float] = []
    abused: list[float] = []
    victim_failed: dict[str, Counter[int]] = {"alone": Counter(), "abused": Counter()}
    answered = refused = 0
    log("fairness: starting interview-bot web with the deployed per-client limits")
    server = Server(ctx, fairness_config(ctx))
    try:
        pid = server.child.pid
        for _ in range(3):  # warm: the first answers load what loads on first use
            loop.run_until_complete(victim(server.url, questions[:3], 0.1))
        start_mb = memory_mb(pid, "VmRSS")
        for i in range(rounds * 2):
            with_abuser = (i % 4) in (1, 2)  # alone, abused, abused, alone, ...
            beside = "beside the abuser" if with_abuser else "alone"
            log(f"fairness: {seconds:.0f} s, victim {beside}")
            if with_abuser:

                async def both() -> tuple[tuple[list[float], Counter[int]], tuple[int, int]]:
                    stop = asyncio.Event()
                    attack = asyncio.create_task(abuser(server.url, heavy, stop))
                    await asyncio.sleep(2.0)  # the abuser's questions are queued first
                    measured = await victim(server.url, questions, seconds)
                    stop.set()
                    return measured, await attack

                (latencies, failed), (ok, no) = loop.run_until_complete(both())
                abused += latencies
                victim_failed["abused"] += failed
                answered, refused = answered + ok, refused + no
            else:
                latencies, failed = loop.run_until_complete(victim(server.url, questions, seconds))
                alone += latencies
                victim_failed["alone"] += failed
        log(f"fairness: {OVERLOAD_CLIENTS} clients at once for {OVERLOAD_SECONDS:.0f} s")
        over, busy, other = loop.run_until_complete(overload(server.url, questions))
        peak_mb = memory_mb(pid, "VmHWM")
    finally:
        server.stop()
        loop.close()
    alone_p50, abused_p50 = p50(alone) * 1000, p50(abused) * 1000
    attempts = len(over) + busy + other
    return {
        "fairness_victim_alone_p50_ms": round(alone_p50, 1),
        "fairness_victim_abused_p50_ms": round(abused_p50, 1),
        "fairness_abused_over_alone": round(abused_p50 / alone_p50, 2),
        "fairness_victim_alone_p95_ms": round(percentile(alone, 95) * 1000, 1),
        "fairness_victim_abused_p95_ms": round(percentile(abused, 95) * 1000, 1),
        "fairness_victim_answered": {"alone": len(alone), "abused": len(abused)},
        "fairness_victim_not_answered": {k: dict(v) for k, v in victim_failed.items()},
        "fairness_abuser_answered": answered,
        "fairness_abuser_refused": refused,
        "fairness_abuser_answered_per_minute": round(
            answered / (rounds * seconds / 60 + 2 * rounds / 60), 1
        ),
        "fairness_heavy_question_tokens": ctx.encoder.question_tokens(heavy),
        "fairness_overload_p50_ms": round(p50(over) * 1000, 1) if over else None,
        "fairness_overload_p95_ms": round(percentile(over, 95) * 1000, 1) if over else None,
        "fairness_overload_503_share": round(busy / attempts, 3) if attempts else None,
        "fairness_overload_other_errors": other,
        "fairness_server_start_mb": round(start_mb, 1) if start_mb else None,
        "fairness_server_peak_mb": round(peak_mb, 1) if peak_mb else None,
    }
