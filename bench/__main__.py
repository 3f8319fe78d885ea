"""`python -m bench [--quick] [--out FILE]`: measure, print a table, write JSON.

Groups run in the order of GROUPS, each in its own module: latency, startup, reindex,
throughput, bot (botload), web (webload), fairness, report, scale. The model and the
seed-corpus index are loaded once, in a scratch folder, and shared by the groups that need
them. A group module has `run(ctx)`, `ROWS` (its lines of the table) and `TARGETS` (the
bounds it is checked against), so that adding one is one line here (see bench/README.md,
"Adding a group").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import botload, fairness, latency, reindex, report, scale, startup, throughput, webload
from .common import (
    RESULTS,
    Context,
    Group,
    Row,
    fmt,
    load_questions,
    log,
    machine,
    make_workspace,
    table,
)

GROUPS: dict[str, Group] = {
    "latency": latency,
    "startup": startup,
    "reindex": reindex,
    "throughput": throughput,
    "bot": botload,
    "web": webload,
    "fairness": fairness,
    "report": report,
    "scale": scale,
}


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
    results: dict[str, Any] = {"mode": mode, "groups": chosen, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="interview-bench-") as scratch:
        ctx = Context(Path(scratch), args.quick, load_questions(), args.scale_max_build_s)
        prepare(ctx)
        for name in chosen:
            group_started = time.perf_counter()
            part = GROUPS[name].run(ctx)
            part[f"{name}_seconds"] = round(time.perf_counter() - group_started, 1)
            results.update(part)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    groups = [GROUPS[name] for name in chosen]
    results["targets"] = check_targets(groups, results)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(chosen, results))
    log(f"wrote {out} ({results['total_seconds']} s)")
    return 0


def prepare(ctx: Context) -> None:
    """Copy the seed corpus, load the model, build the corpus's index and open it, as
    `interview-bot index` and `serve` would."""
    from service.encoder import load_encoder
    from service.runtime import quiet_libraries
    from service.settings import load_settings
    from service.snapshot import open_snapshot, rebuild_index

    log(f"workspace {ctx.folder}: loading the model, building the seed index")
    quiet_libraries()
    make_workspace(ctx.folder)
    ctx.settings = load_settings(ctx.config, env={})
    ctx.encoder = load_encoder(ctx.settings.model.spec(), ctx.settings.model.batch_size)
    rebuild_index(ctx.settings, ctx.encoder)
    ctx.snapshot = open_snapshot(ctx.settings)


def check_targets(groups: list[Group], results: dict[str, Any]) -> dict[str, Any]:
    """Each target of the groups run, with its measured value and whether it is met (None:
    not measured)."""
    checked: dict[str, Any] = {}
    for target in (t for group in groups for t in group.TARGETS):
        value = results.get(target.key)
        met = None
        if value is not None:
            met = value <= target.bound if target.op == "<=" else value >= target.bound
        checked[target.key] = {
            "value": value,
            "target": f"{target.op} {target.bound}",
            "what": target.what,
            "met": met,
        }
    return checked


def render(chosen: list[str], results: dict[str, Any]) -> str:
    """The groups' rows, figures against their baselines, as one table; then any table a
    group adds of its own; then any group that could not run."""
    targets = results.get("targets", {})
    lines = [
        line
        for name in chosen
        for row in GROUPS[name].ROWS
        if (line := _line(row, results, targets)) is not None
    ]
    header = ["measure", "value", "baseline (same run)", "ratio", "target"]
    out = [table(header, lines)] if lines else []
    for name in chosen:
        report = getattr(GROUPS[name], "report", None)
        extra = report(results) if report is not None else None
        if extra:
            out.append(extra)
        if isinstance(results.get(name), str):  # the group said why it could not run
            out.append(f"{name}: {results[name]}")
    return "\n\n".join(out)


def _line(row: Row, results: dict[str, Any], targets: dict[str, Any]) -> list[str] | None:
    """The row as table cells, or None when its group did not measure it."""
    keys = (row.value,) if isinstance(row.value, str) else row.value
    if any(results.get(key) is None for key in keys):
        return None
    value = " / ".join(fmt(results[key]) for key in keys)
    baseline = ""
    if row.baseline:
        shown = fmt(results.get(row.baseline_value), row.unit) if row.baseline_value else ""
        baseline = f"{row.baseline} {shown}".strip()
    # A row is checked on its ratio, or on its value when it has no baseline.
    checked = row.ratio or (row.value if isinstance(row.value, str) else None)
    target = targets.get(checked) if checked else None
    verdict = ""
    if target is not None and target["met"] is not None:
        verdict = f"{target['target']}: {'met' if target['met'] else 'NOT met'}"
    ratio = fmt(results.get(row.ratio)) if row.ratio else ""
    return [row.measure, f"{value} {row.unit}".strip(), baseline, ratio, verdict]


if __name__ == "__main__":
    sys.exit(main())
