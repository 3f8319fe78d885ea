"""The `interview-bot` command line: set-up, the console, evaluation, and the servers."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from retrieval.corpus import CorpusError
from retrieval.e5file import E5FileError
from retrieval.index import IndexLoadError
from retrieval.model import ModelError
from service.encoder import quiet_libraries
from service.evaluation import EvalSetError
from service.settings import SettingsError

from . import build, console, importing, owner, quality, servers

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS = (
    CorpusError,
    IndexLoadError,
    ModelError,
    SettingsError,
    E5FileError,
    EvalSetError,
)


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
    quiet_libraries()
    ctx.obj = config


for command in (
    build.model,
    build.index,
    console.ask,
    console.chat,
    quality.evaluate_command,
    servers.run,
    servers.serve,
    servers.web,
    owner.report,
    owner.feedback,
):
    cli.add_command(command)
cli.add_command(importing.import_command)
