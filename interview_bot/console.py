"""The console front end: `ask` for one-off and scripted questions, `chat` for a session,
`timeline` for what each interview says on a question."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from records import Scope
from service.questions import QuestionError, Refusal, ScopeError, check_question, rows_within

from .config import settings as _settings

if TYPE_CHECKING:
    from service.answering import AnswerService

# Exit status of a refused question, as click gives for a bad argument.
REFUSED = 2
HELP = frozenset({"/help", "help", "?"})
QUIT = frozenset({"/quit", "/exit", "quit", "exit"})
# What reads as a command, not a question: a slash and one word.
COMMAND = re.compile(r"/\w+")


def scope_options(command: Callable[..., None]) -> Callable[..., None]:
    """--since, --until, --speaker and --document: which interviews to search, as a
    `scope` argument (None for all)."""
    day = click.DateTime(formats=["%Y-%m-%d"])
    options = [
        click.option("--since", type=day, help="Interviews published on or after this day."),
        click.option("--until", type=day, help="Interviews published on or before this day."),
        click.option("--speaker", help="Interviews whose interviewee's name contains this."),
        click.option("--document", help="One interview, by its id (its file name)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _scope(ctx: click.Context, options: dict[str, Any]) -> Scope | None:
    """The scope the options name; a usage error (exit 2) when its dates cross or no
    interview of the corpus passes it, found before the model loads."""
    fields = {name: options.pop(name) for name in ("since", "until", "speaker", "document")}
    if not any(fields.values()):
        return None
    for name in ("since", "until"):
        fields[name] = fields[name] and fields[name].date()
    try:
        scope = Scope(**fields)
    except ValidationError as error:
        message = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise click.UsageError(message, ctx) from None
    from retrieval.corpus import load_corpus

    try:
        rows_within(load_corpus(_settings(ctx).corpus.dir), scope)
    except ScopeError as error:
        raise click.UsageError(str(error), ctx) from None
    return scope


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per question.")
@click.option("--top-k", type=click.IntRange(1, 100), help="Hits per question.")
@scope_options
@click.argument("question", nargs=-1)
@click.pass_context
def ask(
    ctx: click.Context,
    as_json: bool,
    top_k: int | None,
    question: tuple[str, ...],
    **options: Any,
) -> None:
    """Answer QUESTION (its words joined), or each line of stdin when none is given
    (blank lines skipped).

    An empty or over-long question is refused (exit status 2) before the model loads, and
    so are filters no interview passes.
    """
    scope = _scope(ctx, options)
    if not question and sys.stdin.isatty():
        # Nobody is piping questions in: waiting for stdin would look like a hang.
        raise click.UsageError(
            'Give a question, as in: interview-bot ask "Когда подпишут договор?"\n'
            "or pipe questions in, one a line: interview-bot ask < questions.txt",
            ctx,
        )
    settings = _settings(ctx)
    lines: Iterable[str] = [" ".join(question)] if question else _filled(sys.stdin)
    service: AnswerService | None = None
    refused = False
    for line in lines:
        text = line.rstrip("\n")
        try:
            query = check_question(text, settings.search.max_query_chars)
        except QuestionError as error:
            refused = True
            if as_json:
                click.echo(Refusal.of(text, error).model_dump_json())
            click.echo(f"error: {error}", err=True)
            continue
        if service is None:
            from service.answering import AnswerService

            service = AnswerService.open(settings)
        (reply,) = service.answer([query], top_k, scope)
        if as_json:
            click.echo(reply.model_dump_json())
        else:
            from . import render

            click.echo(render.reply_text(reply) + "\n")
    if refused:
        ctx.exit(REFUSED)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The statements as one JSON object.")
@scope_options
@click.argument("question", nargs=-1, required=True)
@click.pass_context
def timeline(ctx: click.Context, as_json: bool, question: tuple[str, ...], **options: Any) -> None:
    """What each interview says on QUESTION, oldest first: its paragraph closest to the
    question, for each interview that answers it or may."""
    scope = _scope(ctx, options)
    settings = _settings(ctx)
    text = " ".join(question)
    try:
        query = check_question(text, settings.search.max_query_chars)
    except QuestionError as error:
        raise click.UsageError(str(error), ctx) from None
    from service.answering import AnswerService

    from . import render

    found = AnswerService.open(settings).timeline(query, scope)
    click.echo(found.model_dump_json() if as_json else render.timeline_text(found))


def _filled(lines: Iterable[str]) -> Iterator[str]:
    """The lines with words in them: a blank line in a file of questions is a gap between
    them, not an empty question."""
    return (line for line in lines if line.strip())


@click.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Ask questions interactively in the console (the bot's answers, without Telegram)."""
    from service.answering import AnswerService

    from . import render

    settings = _settings(ctx)
    click.echo("Loading the model and the index...", err=True)
    service = AnswerService.open(settings)
    width = shutil.get_terminal_size().columns
    click.echo(render.chat_banner(service.snapshot.corpus.documents, width))
    while True:
        try:
            line = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        # Bare words too: "help" is what people type first, and no one asks the minister it.
        if line.casefold() in QUIT:
            return
        if line.casefold() in HELP:
            click.echo(render.CHAT_HELP)
            continue
        if COMMAND.fullmatch(line):
            click.echo(f"There is no command {line}.\n{render.CHAT_HELP}")
            continue
        if not line:
            continue
        try:
            (reply,) = service.answer([service.check(line)])
        except QuestionError as error:
            click.echo(f"error: {error}")
            continue
        click.echo(render.reply_text(reply) + "\n")
