"""The long-running front ends: the Telegram bot (`serve`), and `run`, which picks one."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import click

from bot.settings import bot_config
from service.answering import AnswerService
from service.encoder import limit_threads

from . import console, serving
from .config import config_file as _config
from .config import settings as _settings


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Serve on Telegram when TELEGRAM_BOT_TOKEN is set, else open the console chat."""
    if bot_config(_config(ctx)).telegram.token:
        ctx.invoke(serve)
    else:
        click.echo("TELEGRAM_BOT_TOKEN is not set: starting the console chat.", err=True)
        ctx.invoke(console.chat)


@click.command()
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
    from bot.application import Webhook, build_application, serving_bot
    from bot.logs import setup_logging

    settings, config = _settings(ctx), bot_config(_config(ctx))
    telegram = config.telegram
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
    log = logging.getLogger(__name__)
    with serving.stop_signals_while_loading():
        started = time.perf_counter()
        service = AnswerService.open(settings, log_questions=True)
    threads = limit_threads()
    log.info(
        "ready in %.1fs: %d documents, %s, %d encoder thread(s)",
        time.perf_counter() - started,
        len(service.snapshot.documents),
        f"webhook on {listen}:{port}" if webhook else "long polling",
        threads,
    )
    application = build_application(service, config)
    try:
        serving.run(service, [serving_bot(application, webhook)])
    except Exception:
        # Logged, so redacted: a traceback printed by Python could show the token.
        log.exception("the bot stopped on an error")
        ctx.exit(1)
