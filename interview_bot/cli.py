"""The `interview-bot` command line: set-up, the console, evaluation, and the servers.

Arguments are parsed before anything heavy loads: each command imports the model, the
index and the web or bot frameworks inside its own function, so that `--help` and a
refused question answer at once.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from records.errors import UserError
from service.runtime import quiet_libraries

from . import build, console, importing, owner, quality, servers


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            # Errors a user can fix: one line on stderr, exit 1, no traceback.
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
    console.timeline,
    quality.evaluate_command,
    servers.run,
    servers.serve,
    servers.web,
    owner.report,
    owner.feedback,
    importing.import_command,
):
    cli.add_command(command)
