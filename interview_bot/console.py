"""The console front end: `ask` for one-off and scripted questions, `chat` for a session."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import click

from service.questions import QuestionError, Refusal, check_question

from .config import settings as _settings

if TYPE_CHECKING:
    from service.answering import AnswerService

# Exit status of a refused question, as click gives for a bad argument.
REFUSED = 2
HELP = frozenset({"/help", "help", "?"})
QUIT = frozenset({"/quit", "/exit", "quit", "exit"})
# What reads as a command, not a question: a slash and one word.
COMMAND = re.compile(r"/\w+")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per question.")
@click.option("--top-k", type=click.IntRange(1, 100), help="Hits per question.")
@click.argument("question", nargs=-1)
@click.pass_context
def ask(ctx: click.Context, as_json: bool, top_k: int | None, question: tuple[str, ...]) -> None:
    """Answer QUESTION (its words joined), or each line of stdin when none is given
    (blank lines skipped).

    An empty or over-long question is refused (exit status 2) before the model loads.
    """
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
        (reply,) = service.answer([query], top_k)
        if as_json:
            click.echo(reply.model_dump_json())
        else:
            from . import render

            click.echo(render.reply_text(reply) + "\n")
    if refused:
        ctx.exit(REFUSED)


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
