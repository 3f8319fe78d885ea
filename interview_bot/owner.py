"""The owner's commands on the question log: `report`, and `feedback export` of labelled
questions for the evaluation set."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from records import Decision

from .config import settings as _settings

if TYPE_CHECKING:
    import numpy as np

    from questionlog.store import Store
    from service.report import Report
    from service.settings import Settings

SINCE = click.option(
    "--since",
    "days",
    type=click.IntRange(1, 36_500),
    default=30,
    show_default=True,
    help="Questions asked in the last DAYS days.",
)


def _store(settings: Settings) -> Store:
    """The log's database, or a one-line error saying which one could not be opened."""
    from sqlalchemy.exc import SQLAlchemyError

    from questionlog.redaction import redact_url
    from questionlog.store import Store

    where = redact_url(settings.store.url) if settings.store.url else str(settings.store.path)
    if not settings.store.enabled:
        raise click.ClickException("the question log is off: [store] enabled = false")
    if settings.store.url is None and not settings.store.path.exists():
        raise click.ClickException(f"no question log at {where}: no question was logged yet")
    try:
        return Store.open(settings.store)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot open the question log at {where}: {exc}") from None


def _since(days: int) -> date:
    return (datetime.now(UTC) - timedelta(days=days)).date()


@click.command()
@SINCE
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_context
def report(ctx: click.Context, days: int, as_json: bool) -> None:
    """What users asked, what the interview could not answer, and which answers they disliked."""
    from service.encoder import load_encoder
    from service.report import build_report
    from service.vectors import vector_tag

    settings = _settings(ctx)
    spec = settings.model.spec()
    with _store(settings) as store:

        def embed(texts: Sequence[str]) -> np.ndarray:
            # Loaded only for unanswered questions the log holds no vector of.
            return load_encoder(spec).question_vectors(texts)

        result = build_report(store, embed, _since(days), vector_tag(spec))
    click.echo(json.dumps(_json(result), ensure_ascii=False) if as_json else report_text(result))


@click.group()
def feedback() -> None:
    """Labelled questions from users' feedback."""


@feedback.command("export")
@SINCE
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL file to write (default: standard output).",
)
@click.pass_context
def export(ctx: click.Context, days: int, out: Path | None) -> None:
    """Write the questions users labelled, and those not covered, as unreviewed eval-set lines."""
    from questionlog.queries import labelled
    from service.export import export_lines

    with _store(_settings(ctx)) as store:
        lines = export_lines(labelled(store, _since(days)))
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    click.echo(
        f'{len(lines)} questions, unreviewed: check each, then set "reviewed": true', err=True
    )


def report_text(report: Report) -> str:
    decisions: Counter[str] = Counter()
    for day in report.days:
        decisions[day.decision] += day.count
    lines = [
        f"Questions since {report.since}: {sum(decisions.values())} "
        f"(answered {decisions[Decision.ANSWERED]}, uncertain {decisions[Decision.UNCERTAIN]}, "
        f"not covered {decisions[Decision.NOT_COVERED]})"
    ]
    per_day: dict[date, Counter[str]] = {}
    for day in report.days:
        per_day.setdefault(day.day, Counter())[day.decision] += day.count
    for day_date, counts in sorted(per_day.items()):
        lines.append(
            f"  {day_date}  answered {counts[Decision.ANSWERED]:>4}  uncertain "
            f"{counts[Decision.UNCERTAIN]:>4}  not covered {counts[Decision.NOT_COVERED]:>4}"
        )
    lines.append("")
    lines.append(f"Not covered or uncertain, grouped by meaning ({len(report.unanswered)} groups):")
    for group in report.unanswered:
        wordings = " / ".join(f"«{example}»" for example in group.examples)
        lines.append(f"  {group.count:>4}×  {wordings}")
    lines.append("")
    lines.append(f"Answers marked 👎 ({sum(d.count for d in report.downvoted)}):")
    for marked in report.downvoted:
        preferred = f", preferred {', '.join(marked.preferred)}" if marked.preferred else ""
        lines.append(
            f"  {marked.count:>4}×  «{marked.text}»: shown {marked.shown or '—'}{preferred}"
        )
    share = "—" if report.up_share is None else f"{report.up_share:.0%}"
    lines.append("")
    lines.append(f"👍 {report.votes.up}, 👎 {report.votes.down}: {share} 👍")
    return "\n".join(lines)


def _json(report: Report) -> dict[str, Any]:
    data = asdict(report)
    data["up_share"] = report.up_share
    return json.loads(json.dumps(data, default=str))
