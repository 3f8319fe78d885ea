"""`interview-bot report` over a year of unanswered questions: time and peak memory.

A log of 20,000 unanswered questions (and, as the baseline, one of 2,000: the largest the
report groups exactly) is written to a scratch SQLite file, each question with the vector
the service would have kept for it; `interview-bot report --json` then runs in a process
of its own, timed, its peak resident memory read from the kernel (`wait4`). The two logs
alternate run by run.

The vectors are the real model's for the log's 400 template wordings, with noise added per
question so that no two are equal (paraphrases group; a tenth of the questions are one of
a kind, far from everything): encoding 20,000 questions with the model would take the
bench ten minutes, and the report itself does not encode what the log holds.

Also: 1,000 questions logged without vectors (as before vectors were kept, 10 of them 500
characters long), which the report must encode, in batches: its peak memory shows the
encoding bounded (one batch of everything took 2.9 GB for 300 short questions and one
long). And, in full mode, the grouping alone over 100,000 vectors in this process, the
figure the 1,000,000-question estimate in docs/benchmarks.md scales from.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .common import Context, Row, Target, child_env, log, p50

ROWS_BIG = 20_000
ROWS_BASE = 2_000
ROWS_LEGACY = 1_000
TARGET_SECONDS = 60.0
TARGET_MB = 1536.0
# Per-question noise on a template's vector: cosine ~0.96 to it, so paraphrases group.
PARAPHRASE_NOISE = 0.012
UNIQUE_NOISE = 0.2
_encoded: dict[str, np.ndarray] = {}  # the real vectors of the template wordings

ROWS = (
    Row(
        f"report over {ROWS_BIG:,} unanswered questions",
        "report_20k_seconds",
        "s",
        f"{ROWS_BASE:,} questions",
        "report_2k_seconds",
        "report_20k_over_2k",
    ),
    Row(
        f"report over {ROWS_BIG:,}: peak memory",
        "report_20k_peak_mb",
        "MiB",
        f"{ROWS_BASE:,} questions",
        "report_2k_peak_mb",
    ),
    Row(
        f"report over {ROWS_LEGACY:,} questions without vectors: time / peak memory",
        ("report_legacy_1k_seconds", "report_legacy_1k_peak_mb"),
    ),
    Row("grouping alone, 100,000 vectors", "report_cluster_100k_seconds", "s"),
)
TARGETS = (
    Target("report_20k_seconds", "<=", TARGET_SECONDS, "report over 20,000 questions, 2 cores"),
    Target("report_20k_peak_mb", "<=", TARGET_MB, "its peak resident memory"),
    Target(
        "report_legacy_1k_peak_mb", "<=", TARGET_MB, "peak memory encoding 1,000 logged questions"
    ),
)


def run(ctx: Context) -> dict[str, Any]:
    from service.vectors import vector_tag
    from testkit.questionlogs import fill_log, generated_questions

    rounds = 1 if ctx.quick else 3
    spec = ctx.settings.model.spec()
    tag = vector_tag(spec)
    logs = {}
    for name, rows in (("big", ROWS_BIG), ("base", ROWS_BASE)):
        texts = generated_questions(rows, seed=rows)
        log(f"report: writing a log of {rows:,} questions with vectors")
        settings = _store(ctx, name)
        fill_log(settings, texts, _vectors(ctx, texts), tag)
        logs[name] = _config(ctx, name, settings)
    legacy = _store(ctx, "legacy")
    fill_log(legacy, generated_questions(ROWS_LEGACY, seed=7))
    logs["legacy"] = _config(ctx, "legacy", legacy)

    measured: dict[str, list[tuple[float, float]]] = {"big": [], "base": []}
    for i in range(rounds):
        for name in ("base", "big") if i % 2 == 0 else ("big", "base"):
            log(f"report: interview-bot report over the {name} log, round {i + 1}")
            measured[name].append(_report(ctx, logs[name], expected=_rows(name)))
    log(f"report: {ROWS_LEGACY:,} questions without vectors (the model encodes them)")
    legacy_seconds, legacy_mb = _report(ctx, logs["legacy"], expected=ROWS_LEGACY)
    out: dict[str, Any] = {}
    for name, key in (("big", "20k"), ("base", "2k")):
        out[f"report_{key}_seconds"] = round(p50([s for s, _ in measured[name]]), 2)
        out[f"report_{key}_peak_mb"] = round(max(mb for _, mb in measured[name]), 1)
    out["report_20k_over_2k"] = round(out["report_20k_seconds"] / out["report_2k_seconds"], 2)
    out["report_legacy_1k_seconds"] = round(legacy_seconds, 2)
    out["report_legacy_1k_peak_mb"] = round(legacy_mb, 1)
    out["report_rounds"] = rounds
    if not ctx.quick:
        out["report_cluster_100k_seconds"] = round(_cluster_seconds(ctx, 100_000), 2)
    return out


def _rows(name: str) -> int:
    return ROWS_BIG if name == "big" else ROWS_BASE


def _store(ctx: Context, name: str) -> Any:
    from questionlog.settings import StoreSettings

    path = ctx.folder / f"report-{name}.sqlite3"
    path.unlink(missing_ok=True)
    return StoreSettings(path=path)


def _config(ctx: Context, name: str, store: Any) -> Path:
    """The workspace's config with its [store] pointing at `store`."""
    text = ctx.config.read_text(encoding="utf-8")
    old = json.dumps(str(ctx.folder / "questions.sqlite3"))
    config = ctx.folder / f"report-{name}.toml"
    config.write_text(text.replace(old, json.dumps(str(store.path))), encoding="utf-8")
    return config


def _vectors(ctx: Context, texts: list[str]) -> np.ndarray:
    """Each text's vector: its wording's real one, made a paraphrase by a little noise
    (or, for one-of-a-kind texts, by a lot)."""
    counts = Counter(texts)
    common = sorted(w for w, n in counts.items() if n > 1)
    new = [w for w in common if w not in _encoded]
    if new:
        _encoded.update(zip(new, ctx.encoder.question_vectors(new), strict=True))
    encoded = {w: _encoded[w] for w in common}
    rng = np.random.default_rng(len(texts))
    anchors = np.stack(list(encoded.values()))
    rows = []
    for text in texts:
        if text in encoded:
            vector = encoded[text] + rng.normal(0, PARAPHRASE_NOISE, anchors.shape[1])
        else:
            vector = anchors[rng.integers(len(anchors))] + rng.normal(
                0, UNIQUE_NOISE, anchors.shape[1]
            )
        rows.append(vector / np.linalg.norm(vector))
    return np.asarray(rows, np.float32)


# `interview-bot` that writes its peak resident memory at exit. The kernel's rusage is no
# use here: a forked child inherits the bench's own high-water mark (the model, 1.4 GB)
# across exec, while VmHWM belongs to the address space exec made.
_MEASURED_CLI = """
import atexit, os
def peak():
    with open("/proc/self/status") as status, open(os.environ["PEAK_FILE"], "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(peak)
from interview_bot.cli import cli
cli(prog_name="interview-bot")
"""


def _report(ctx: Context, config: Path, expected: int) -> tuple[float, float]:
    """Seconds and peak resident MiB of `interview-bot report --json` on `config`."""
    peak = ctx.folder / "report.peak"
    env = {**child_env(config), "PEAK_FILE": str(peak)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED_CLI, "report", "--json"],
        env=env,
        cwd=ctx.folder,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"interview-bot report failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    grouped = sum(group["count"] for group in report["unanswered"])
    if grouped != expected:
        raise RuntimeError(f"the report grouped {grouped} questions, the log has {expected}")
    return seconds, int(peak.read_text()) / 1024  # VmHWM is in KiB


def _cluster_seconds(ctx: Context, n: int) -> float:
    """The grouping alone over `n` vectors like the bench log's, in this process."""
    from service.report import cluster
    from testkit.questionlogs import generated_questions

    texts = generated_questions(n, seed=n)
    vectors = _vectors(ctx, texts)
    log(f"report: grouping {n:,} vectors in this process")
    started = time.perf_counter()
    cluster(vectors)
    return time.perf_counter() - started
