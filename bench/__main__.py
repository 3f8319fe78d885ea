"""`python -m bench [--quick] [--out FILE]`: measure, print a table, write JSON.

Groups run in this order, each in its own module: latency, startup, reindex, throughput,
bot (botload), scale. The model and the seed-corpus index are loaded once, in a scratch
folder, and shared by the groups that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import botload, latency, reindex, scale, startup, throughput
from .common import RESULTS, Context, load_questions, log, machine, make_workspace

GROUPS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "latency": latency.run,
    "startup": startup.run,
    "reindex": reindex.run,
    "throughput": throughput.run,
    "bot": botload.run,
    "scale": scale.run,
}

# (JSON key, "<=" or ">=", bound, what it compares)
TARGETS = (
    ("search_over_encode", "<=", 1.25, "search p50 / bare encode p50"),
    ("pipeline_over_batched", ">=", 0.8, "pipeline / batched encode answers per second"),
    ("cold_over_load", "<=", 1.3, "cold start / bare model load"),
    ("reindex_unchanged_speedup", ">=", 20, "cold build / unchanged rebuild"),
)
SCALE_TARGET = {"n": 1_000_000, "p50_ms": 10.0, "recall": 0.95, "memory_mb": 2048}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, scale up to 100k")
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/MODE.json)")
    parser.add_argument(
        "--only", help=f"comma-separated groups to run (default all: {','.join(GROUPS)})"
    )
    parser.add_argument(
        "--scale-max-build-s",
        type=float,
        help="skip an HNSW build estimated to take longer (default 60 quick, 900 full)",
    )
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(GROUPS)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    mode = "quick" if args.quick else "full"
    out = args.out or RESULTS / f"{mode}.json"

    started = time.perf_counter()
    results: dict[str, Any] = {"mode": mode, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="interview-bench-") as scratch:
        ctx = Context(Path(scratch), args.quick, load_questions())
        prepare(ctx)
        for name in chosen:
            group_started = time.perf_counter()
            if name == "scale":
                part = scale.run(ctx, args.scale_max_build_s or (60 if args.quick else 900))
            else:
                part = GROUPS[name](ctx)
            part[f"{name}_seconds"] = round(time.perf_counter() - group_started, 1)
            results.update(part)
            ctx.results = results
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = check_targets(results)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(results))
    log(f"wrote {out} ({results['total_seconds']} s)")
    return 0


def prepare(ctx: Context) -> None:
    """Copy the seed corpus, build its index and load the Searcher, as `make run` would."""
    from interview_bot.settings import load_settings

    from interview_bot import app

    log(f"workspace {ctx.folder}: building the seed index, loading the model")
    app.quiet_libraries()
    make_workspace(ctx.folder)
    ctx.settings = load_settings(ctx.config, env={})
    app.rebuild_index(ctx.settings)
    ctx.searcher = app.open_searcher(ctx.settings)


def check_targets(results: dict[str, Any]) -> dict[str, Any]:
    """Each target with its measured value and whether it is met (None: not measured)."""
    checked: dict[str, Any] = {}
    for key, op, bound, _ in TARGETS:
        value = results.get(key)
        met = None if value is None else (value <= bound if op == "<=" else value >= bound)
        checked[key] = {"value": value, "target": f"{op} {bound}", "met": met}
    best = best_at_scale(results.get("scale", []))
    checked["scale_1m"] = {
        "value": best,
        "target": f"p50 <= {SCALE_TARGET['p50_ms']} ms, recall@10 >= {SCALE_TARGET['recall']}, "
        f"<= {SCALE_TARGET['memory_mb']} MiB at n = 1M",
        "met": None if best is None else best["search_p50_ms"] <= SCALE_TARGET["p50_ms"],
    }
    return checked


def best_at_scale(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fastest 1M row within the recall and memory bounds, or None."""
    fits = [
        r
        for r in rows
        if r.get("n") == SCALE_TARGET["n"]
        and "search_p50_ms" in r
        and r["recall_at_10"] >= SCALE_TARGET["recall"]
        and r["memory_mb"] <= SCALE_TARGET["memory_mb"]
    ]
    if not fits:
        return None
    best = min(fits, key=lambda r: r["search_p50_ms"])
    keep = ("index", "params", "search_p50_ms", "recall_at_10", "memory_mb")
    return {k: best[k] for k in keep}


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    """The results as two aligned tables: figures against baselines, and the scale rows."""
    r = results
    targets = r.get("targets", {})

    def verdict(key: str) -> str:
        target = targets.get(key)
        if not target or target["met"] is None:
            return ""
        return f"{target['target']}: {'met' if target['met'] else 'NOT met'}"

    lines: list[list[str]] = []

    def add(measure, value, unit, baseline_name, baseline, ratio_key=None, ratio=None):
        if value is None and baseline is None:
            return
        shown_ratio = r.get(ratio_key) if ratio_key else ratio
        lines.append(
            [
                measure,
                _fmt(value, unit),
                f"{baseline_name} {_fmt(baseline, unit)}" if baseline_name else "",
                _fmt(shown_ratio),
                verdict(ratio_key) if ratio_key else "",
            ]
        )

    add(
        "search p50 (Searcher.search)",
        r.get("search_p50_ms"),
        "ms",
        "bare encode p50",
        r.get("encode_p50_ms"),
        "search_over_encode",
    )
    add(
        "cold start to first answer",
        r.get("cold_start_s"),
        "s",
        "bare model load",
        r.get("model_load_s"),
        "cold_over_load",
    )
    add(
        "reindex, nothing changed",
        r.get("reindex_unchanged_s"),
        "s",
        "cold build",
        r.get("index_build_s"),
        "reindex_unchanged_speedup",
    )
    add(
        "reindex, one paragraph changed",
        r.get("reindex_one_changed_s"),
        "s",
        "cold build",
        r.get("index_build_s"),
        "reindex_one_changed_speedup",
    )
    add(
        "pipeline answers",
        r.get("pipeline_answers_per_s"),
        "/s",
        "batched encode",
        r.get("encode_batched_per_s"),
        "pipeline_over_batched",
    )
    if isinstance(r.get("bot"), str):
        lines.append(["bot", r["bot"], "", "", ""])
    elif "bot_answers_per_s" in r:
        add(
            "bot answers, rate limiter on",
            r["bot_answers_per_s"],
            "/s",
            "pipeline",
            r["bot_pipeline_answers_per_s"],
            "bot_over_pipeline",
        )
        add(
            "bot answers, rate limiter off",
            r["bot_nolimit_answers_per_s"],
            "/s",
            "pipeline",
            r["bot_pipeline_answers_per_s"],
            "bot_nolimit_over_pipeline",
        )
        lines.append(
            [
                "bot latency p50 / p95, limiter on",
                f"{_fmt(r['bot_p50_ms'])} / {_fmt(r['bot_p95_ms'])} ms",
                "",
                "",
                "",
            ]
        )
        lines.append(
            [
                "bot latency p50 / p95, limiter off",
                f"{_fmt(r['bot_nolimit_p50_ms'])} / {_fmt(r['bot_nolimit_p95_ms'])} ms",
                "",
                "",
                "",
            ]
        )
    out = [_table(["measure", "value", "baseline (same run)", "ratio", "target"], lines)]

    rows = r.get("scale", [])
    if rows:
        scale_lines = []
        for row in rows:
            if "skipped" in row:
                scale_lines.append(
                    [
                        f"{row['n']:,}",
                        row["index"],
                        row["params"],
                        "",
                        "",
                        "",
                        "",
                        "",
                        "skipped: " + row["skipped"],
                    ]
                )
                continue
            scale_lines.append(
                [
                    f"{row['n']:,}",
                    row["index"],
                    row["params"],
                    _fmt(row["build_s"]),
                    _fmt(row["search_p50_ms"]),
                    _fmt(row.get("vs_flat")),
                    f"{row['recall_at_10']:.3f}",
                    _fmt(row["memory_mb"]),
                    _fmt(row["load_ms"]),
                ]
            )
        header = [
            "n",
            "index",
            "params",
            "build s",
            "p50 ms",
            "× flat",
            "recall@10",
            "MiB",
            "load ms",
        ]
        out.append(_table(header, scale_lines))
        verdict_1m = targets.get("scale_1m", {})
        if verdict_1m.get("met") is not None or any(row.get("n") == 1_000_000 for row in rows):
            out.append(
                f"1M target ({verdict_1m.get('target')}): "
                f"{'met' if verdict_1m.get('met') else 'NOT met'} "
                f"by {verdict_1m.get('value')}"
            )
    return "\n\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
