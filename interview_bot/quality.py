"""`interview-bot eval`: the answers measured on a labelled question set."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .config import settings as _settings

if TYPE_CHECKING:
    from service.evaluation import Reliability, Scores

DEFAULT_EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "eval_set.jsonl"


@click.command("eval")
@click.option(
    "--set",
    "eval_set",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_EVAL_SET,
    show_default=True,
    help="Labelled questions (JSONL).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--fit",
    "refit",
    is_flag=True,
    help="Fit the ranking weights and the decision on the set's dev half first, and write them.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --fit writes (default: the config's [search] decision).",
)
@click.pass_context
def evaluate_command(
    ctx: click.Context, eval_set: Path, as_json: bool, refit: bool, out: Path | None
) -> None:
    """Score the answers on a labelled set, per half: decisions, top-1, top-3, MRR, passages.

    With --fit, the weights and thresholds are fitted on the dev half and written first;
    the scores are then those of the new fit.
    """
    from service.answering import AnswerService
    from service.encoder import load_encoder
    from service.evaluation import answer_all, evaluate, load_eval_set, reliability
    from service.fitting import fit
    from service.snapshot import open_snapshot

    settings = _settings(ctx)
    items = load_eval_set(eval_set)
    if refit:
        encoder = load_encoder(settings.model.spec(), settings.model.batch_size)
        params = fit(settings, encoder, items, eval_set)
        target = out or settings.search.decision
        params.save(target)
        click.echo(f"fitted on {params.fitted_for.dev_questions} dev questions: {target}", err=True)
        service = AnswerService(settings, encoder, open_snapshot(settings, params))
    elif out is not None:
        raise click.UsageError("--out names where --fit writes")
    else:
        service = AnswerService.open(settings)
    replies = answer_all(service, items)
    scores, table = evaluate(items, replies), reliability(items, replies)
    if as_json:
        result = {"scores": [asdict(s) for s in scores], "reliability": [asdict(r) for r in table]}
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(scores_table(scores))
        click.echo("\nReliability: the first hit is right this often, by confidence")
        click.echo(reliability_table(table))


_COLUMNS = (  # header, Scores field, how to show it
    ("half", "half", str),
    ("group", "group", str),
    ("n", "questions", str),
    ("answered", "answered", "{:.3f}".format),
    ("uncertain", "uncertain", "{:.3f}".format),
    ("not covered", "not_covered", "{:.3f}".format),
    ("wrong answer", "wrong_answer", "{:.3f}".format),
    ("top-1", "top1", "{:.3f}".format),
    ("top-3", "top3", "{:.3f}".format),
    ("MRR", "mrr", "{:.3f}".format),
    ("precision", "precision", "{:.3f}".format),
    ("right shown", "right_shown", "{:.3f}".format),
    ("shown", "shown", "{:.2f}".format),
    ("named", "named", "{:.3f}".format),
    ("named absent", "named_absent", "{:.3f}".format),
)


def scores_table(scores: Sequence[Scores]) -> str:
    """An aligned table of evaluation scores, one row a group of one half."""
    return _aligned(_COLUMNS, scores)


_RELIABILITY = (
    ("half", "half", str),
    ("language", "language", str),
    ("confidence", "low", lambda low: f"{low:.1f}–{low + 0.1:.1f}"),
    ("n", "questions", str),
    ("mean confidence", "confidence", "{:.3f}".format),
    ("right", "right", "{:.3f}".format),
)


def reliability_table(rows: Sequence[Reliability]) -> str:
    return _aligned(_RELIABILITY, rows)


def _aligned(columns: Sequence[tuple[str, str, Any]], records: Sequence[object]) -> str:
    header = tuple(name for name, _, _ in columns)
    rows = [
        tuple(
            "—" if (value := getattr(s, field)) is None else show(value)
            for _, field, show in columns
        )
        for s in records
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]
    )
