"""The web API as deployed: `interview-bot web` in its own process (uvicorn, the question
log on), asked over loopback HTTP/1.1 from this process.

Latency: `GET /api/search?q=...` on one keep-alive connection, against a bare encode of
the same question in this process, alternated call by call, so that each side runs while
the other is idle (the server's CPU time per answer shows when it is not). Both run on
the torch threads the server sets (`limit_threads`).

Throughput: 50 clients, each on its own keep-alive connection, in a closed loop (a client
sends its next question when its answer arrives), against `AnswerService.answer` of the
same questions, 64 at a time (the batcher's largest batch), in this process; the two
alternate round by round.

The client is bare asyncio streams, as a load tool (wrk, ab) would be: the figures are the
server's, so the client's own cost is kept small.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from .common import (
    Context,
    Row,
    Target,
    child_env,
    cli_command,
    interleaved,
    log,
    logged_questions,
    memory_mb,
    p50,
    percentile,
)

CLIENTS = 50
# What `interview-bot web` says on stderr once the model is loaded and its socket listens
# (the port, asked as 0, is known only from there).
ANNOUNCEMENT = "The search page is at "
STARTUP_TIMEOUT = 300  # seconds to that line: the model loads first
WARM_UP = 20  # questions asked before the server's resident memory is read

ROWS = (
    Row(
        "web API p50 (GET /api/search)",
        "web_search_p50_ms",
        "ms",
        "bare encode p50",
        "web_encode_p50_ms",
        "web_over_encode",
    ),
    Row(
        f"web API answers, {CLIENTS} clients",
        "web_answers_per_s",
        "/s",
        "AnswerService.answer",
        "web_pipeline_answers_per_s",
        "web_over_pipeline",
    ),
    Row(
        "web server CPU per answer, one at a time",
        "web_server_cpu_ms_per_answer",
        "ms",
        "bare encode p50",
        "web_encode_p50_ms",
    ),
    Row(
        "web question log rows / without id",
        ("web_log_rows", "web_log_without_record_id"),
        baseline="asked",
        baseline_value="web_log_asked",
    ),
    Row(f"web server resident after {WARM_UP} questions", "web_server_rss_mb", "MiB"),
)
TARGETS = (
    Target("web_over_encode", "<=", 1.3, "GET /api/search p50 / bare encode p50"),
    Target("web_server_rss_mb", "<=", 700, f"interview-bot web's VmRSS after {WARM_UP} questions"),
    Target(
        "web_over_pipeline",
        ">=",
        0.8,
        f"web API answers per second ({CLIENTS} clients) / AnswerService.answer, 64 at a time",
    ),
)


@dataclass
class Answers:
    """What the server answered over every connection, and how many answers came without
    a question-log id (the log refused the record, or is off)."""

    record_header: str  # the header carrying the id, lower-case
    count: int = 0
    without_record_id: int = 0


class Connection:
    """One keep-alive HTTP/1.1 connection making GET requests."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: str,
        tally: Answers,
    ) -> None:
        self.reader, self.writer, self.host, self.tally = reader, writer, host, tally

    @classmethod
    async def open(cls, url: str, tally: Answers) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer, parts.netloc, tally)

    async def search(self, question: str) -> None:
        """GET /api/search?q=question; RuntimeError unless the answer is 200."""
        path = "/api/search?" + urlencode({"q": question})
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        status_line, *lines = (await self.reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines if line)
        }
        body = await self.reader.readexactly(int(headers["content-length"]))
        if status_line.split(" ", 2)[1] != "200":
            raise RuntimeError(f"{path}: {status_line}: {body[:300]!r}")
        self.tally.count += 1
        self.tally.without_record_id += self.tally.record_header not in headers

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def clients(url: str, questions: list[str], tally: Answers) -> None:
    """Every question asked once by CLIENTS connections at once, each asking its next as
    soon as it has its answer."""
    waiting = list(reversed(questions))
    connections = [await Connection.open(url, tally) for _ in range(CLIENTS)]

    async def client(connection: Connection) -> None:
        while waiting:
            await connection.search(waiting.pop())

    try:
        await asyncio.gather(*(client(connection) for connection in connections))
    finally:
        for connection in connections:
            await connection.close()


class Server:
    """`interview-bot web --port 0` in a child process on the run's config (or `config`),
    until stop()."""

    def __init__(self, ctx: Context, config: Path | None = None) -> None:
        self.child = subprocess.Popen(
            [*cli_command(), "web", "--port", "0"],
            env=child_env(config or ctx.config),
            cwd=ctx.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.said: deque[str] = deque(maxlen=20)  # its last lines, for error messages
        self.url = ""
        self._announced = threading.Event()
        # Read all along, or a full pipe would block the server.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._announced.wait(STARTUP_TIMEOUT) or not self.url:
            if self.child.poll() is None:
                self.child.kill()
            raise RuntimeError(
                f"interview-bot web did not serve (exit {self.child.wait()}): {self.tail()}"
            )

    def _read(self) -> None:
        assert self.child.stderr is not None
        for line in self.child.stderr:
            self.said.append(line.rstrip())
            if not self.url and ANNOUNCEMENT in line:
                self.url = line.split(ANNOUNCEMENT, 1)[1].split()[0]
                self._announced.set()
        self._announced.set()  # it exited: no need to wait any longer

    def tail(self) -> str:
        return " | ".join(self.said)

    def cpu_seconds(self) -> float | None:
        """User and system CPU time of the server so far, all its threads (None without
        /proc)."""
        try:
            stat = Path(f"/proc/{self.child.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # from the 3rd field on: state, ppid, ...
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGINT, as Ctrl-C: open requests finish and the question log writes what is
        queued. RuntimeError if the server did not exit 0."""
        self.child.send_signal(signal.SIGINT)
        try:
            code = self.child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.child.kill()
            code = self.child.wait()
        self._reader.join(timeout=5)
        if code != 0:
            raise RuntimeError(f"interview-bot web exited {code}: {self.tail()}")


def run(ctx: Context) -> dict[str, Any]:
    """p50 of GET /api/search against a bare encode of the same question; answers per
    second of the web API under CLIENTS concurrent clients against AnswerService.answer;
    what the server's question log wrote. Also the server's CPU time per answer while it
    is asked one question at a time: work it goes on doing after an answer (a spinning
    thread pool) falls on the baseline's calls, which the ratio alone would not show."""
    import torch

    from service.batching import MAX_BATCH
    from service.runtime import limit_threads
    from web.context import RECORD_HEADER

    rounds = 100 if ctx.quick else 300
    per_round = 256 if ctx.quick else 512
    bursts = 3 if ctx.quick else 5
    model, prompt = ctx.model, ctx.settings.model.spec().query_prompt
    burst = [ctx.questions[i % len(ctx.questions)] for i in range(per_round)]
    tally = Answers(RECORD_HEADER.lower())
    rows_before = logged_questions(ctx.settings.store)  # another group's, if any

    def question(i: int) -> str:
        return ctx.questions[i % len(ctx.questions)]

    def encode(i: int) -> None:
        """The question as the service encodes it (prompt, normalised), without the service."""
        model.encode([question(i)], prompt=prompt, normalize_embeddings=True)

    def pipeline(_: int) -> None:
        for start in range(0, len(burst), MAX_BATCH):
            batch = burst[start : start + MAX_BATCH]
            if len(service.answer(batch)) != len(batch):
                raise RuntimeError("the service lost answers")

    with contextlib.ExitStack() as stack:
        stack.callback(torch.set_num_threads, torch.get_num_threads())
        threads = limit_threads()
        loop = asyncio.new_event_loop()
        stack.callback(loop.close)
        service = ctx.service()
        stack.callback(lambda: loop.run_until_complete(service.close()))
        log("web: starting interview-bot web (question log on, no rate limit)")
        server = Server(ctx)
        stack.callback(server.stop)

        log(f"web: {rounds} rounds of GET /api/search / bare encode, {threads} torch thread(s)")
        connection = loop.run_until_complete(Connection.open(server.url, tally))
        for i in range(WARM_UP):
            loop.run_until_complete(connection.search(question(i)))
        rss = memory_mb(server.child.pid)
        answers_before, cpu_before = tally.count, server.cpu_seconds()
        times = interleaved(
            {
                "web": lambda i: loop.run_until_complete(connection.search(question(i))),
                "encode": encode,
            },
            rounds,
            warmup=1,
        )
        loop.run_until_complete(connection.close())
        cpu_after = server.cpu_seconds()
        cpu_ms = None
        if cpu_before is not None and cpu_after is not None:
            cpu_ms = round((cpu_after - cpu_before) * 1000 / (tally.count - answers_before), 1)

        log(f"web: {bursts} rounds of {per_round} questions: {CLIENTS} clients, pipeline")
        seconds = interleaved(
            {
                "web": lambda _: loop.run_until_complete(clients(server.url, burst, tally)),
                "pipeline": pipeline,
            },
            bursts,
            warmup=1,
        )
    rows = logged_questions(ctx.settings.store) - rows_before
    web, bare = p50(times["web"]) * 1000, p50(times["encode"]) * 1000
    web_rate = per_round * bursts / sum(seconds["web"])
    pipeline_rate = per_round * bursts / sum(seconds["pipeline"])
    return {
        "web_search_p50_ms": round(web, 2),
        "web_encode_p50_ms": round(bare, 2),
        "web_over_encode": round(web / bare, 3),
        "web_search_p95_ms": round(percentile(times["web"], 95) * 1000, 2),
        "web_encode_p95_ms": round(percentile(times["encode"], 95) * 1000, 2),
        "web_latency_calls": rounds,
        "web_server_cpu_ms_per_answer": cpu_ms,
        "web_server_rss_mb": None if rss is None else round(rss, 1),
        "web_answers_per_s": round(web_rate, 1),
        "web_pipeline_answers_per_s": round(pipeline_rate, 1),
        "web_over_pipeline": round(web_rate / pipeline_rate, 3),
        "web_bursts_per_s": {
            kind: [round(per_round / s, 1) for s in seconds[kind]] for kind in seconds
        },
        "web_clients": CLIENTS,
        "web_throughput_questions": per_round * bursts,
        "web_torch_threads": threads,
        "web_log_asked": tally.count,
        "web_log_without_record_id": tally.without_record_id,
        "web_log_rows": rows,
    }
