"""`interview-bot eval`: the answers measured on a labelled question set."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from service.answering import AnswerService
from service.evaluation import evaluate, load_eval_set

from . import render
from .config import settings as _settings

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
@click.pass_context
def evaluate_command(ctx: click.Context, eval_set: Path, as_json: bool) -> None:
    """Score the answers on a labelled set: top-1, top-3, MRR and refusals per language."""
    items = load_eval_set(eval_set)
    scores = evaluate(AnswerService.open(_settings(ctx)), items)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in scores], ensure_ascii=False))
    else:
        click.echo(render.scores_table(scores))
