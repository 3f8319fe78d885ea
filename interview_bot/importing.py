"""`interview-bot import`: interviews as published (web pages, Word, PDF, text, URLs) into
the corpus folder, one `<slug>.txt` and `<slug>.toml` each."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config import settings as _settings

if TYPE_CHECKING:
    from importer import Imported

_FIRST_WORDS = 8


@click.command("import")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Corpus folder to write to (default: the config's [corpus] dir).",
)
@click.option("--dry-run", is_flag=True, help="Write nothing; show what would be written.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per source.")
@click.option("--force", is_flag=True, help="Import a source even if the corpus has it already.")
@click.pass_context
def import_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    into: Path | None,
    dry_run: bool,
    as_json: bool,
    force: bool,
) -> None:
    """Import interviews from files (.html, .docx, .pdf, .txt, .md) or http(s) URLs.

    Exit status 0 when every source was imported (or is in the corpus already), 1 when any
    was refused; a refused source writes nothing.
    """
    # The parsers (lxml, python-docx, pdfplumber) load only when something is imported.
    from importer import import_source

    folder = into if into is not None else _settings(ctx).corpus.dir
    results = []
    for source in sources:
        result = import_source(source, folder, dry_run=dry_run, force=force)
        results.append(result)
        if as_json:
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            _print(result)
    if not as_json and not dry_run and any(r.status == "imported" for r in results):
        click.echo("the index is now stale: `interview-bot index --if-stale` (or a reload) adds it")
    sys.exit(1 if any(r.status == "refused" for r in results) else 0)


def _print(result: Imported) -> None:
    if result.status == "refused":
        click.echo(f"refused {result.source}: {result.reason}", err=True)
        return
    if result.status == "duplicate":
        click.echo(f"duplicate {result.source}: {result.reason}; not written (--force writes it)")
        return
    interview = result.interview
    assert interview is not None
    paragraphs = sum(len(a.paragraphs) for a in interview.answers)
    summary = f"{len(interview.answers)} questions, {paragraphs} paragraphs"
    if not result.dry_run:
        click.echo(f"imported {result.source} → {result.path}: {summary}")
        return
    click.echo(f"would import {result.source} → {result.path}: {summary}")
    metadata = result.metadata
    for name in ("title", "date", "interviewee", "interviewer", "outlet", "source_url", "language"):
        if value := getattr(metadata, name):
            click.echo(f"  {name}: {value}")
    if result.missing:
        click.echo(f"  not found: {', '.join(result.missing)}")
    section = None
    for number, answer in enumerate(interview.answers, start=1):
        if answer.section and answer.section != section:
            click.echo(f"  heading: {answer.section}")
        section = answer.section
        words = answer.question.split()
        first = " ".join(words[:_FIRST_WORDS]) + (" …" if len(words) > _FIRST_WORDS else "")
        count = len(answer.paragraphs)
        click.echo(f"  {number}. [{count} paragraph{'s' if count != 1 else ''}] {first}")
