"""The long-running front ends: the Telegram bot (`serve`), the search page and API (`web`),
both on one model (`serve --web`), and `run`, which picks for a newcomer."""

from __future__ import annotations

import faulthandler
import logging
import socket
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from bot.settings import bot_config
from web.settings import web_settings

from .config import config_file as _config
from .config import settings as _settings

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from service.answering import AnswerService

log = logging.getLogger(__name__)

WEB_HOST = "127.0.0.1"
WEB_PORT = 8000


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Serve on Telegram when TELEGRAM_BOT_TOKEN is set, else the search page.

    The page shows more in its first minute than a console can (the answer, its
    neighbours, the map); `interview-bot chat` is the console.
    """
    if bot_config(_config(ctx)).telegram.token:
        ctx.invoke(serve)
        return
    click.echo(
        "TELEGRAM_BOT_TOKEN is not set: serving the search page instead "
        "(`interview-bot chat` for the console).",
        err=True,
    )
    # A newcomer's port 8000 may be taken by something else: any free port will do.
    _serve_web(ctx, _listen(ctx, WEB_HOST, WEB_PORT, any_port_if_taken=True), WEB_HOST)


@click.command()
@click.option(
    "--host",
    default=WEB_HOST,
    show_default=True,
    help="Address to listen on; 0.0.0.0 opens the page to the network.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=WEB_PORT,
    show_default=True,
    help="Port (0: any free one).",
)
@click.pass_context
def web(ctx: click.Context, host: str, port: int) -> None:
    """Serve the search page and the JSON API (docs at /docs) until SIGINT or SIGTERM.

    SIGHUP reloads the index: rebuilt first if the corpus changed, then served (with
    [index] read_only, the build published last).
    """
    _serve_web(ctx, _listen(ctx, host, port), host)


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
@click.option(
    "--web",
    "with_web",
    is_flag=True,
    help="Serve the search page and the API too, on the same model and index.",
)
@click.option("--web-host", default=WEB_HOST, show_default=True, help="The page's address.")
@click.option(
    "--web-port",
    type=click.IntRange(0, 65535),
    default=WEB_PORT,
    show_default=True,
    help="The page's port.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    webhook_url: str | None,
    listen: str,
    port: int,
    with_web: bool,
    web_host: str,
    web_port: int,
) -> None:
    """Run the Telegram bot (token from $TELEGRAM_BOT_TOKEN) until SIGINT or SIGTERM; with
    --web, the search page as well, in the same process.

    SIGHUP reloads the index: rebuilt first if the corpus changed, then served (with
    [index] read_only, the build published last).
    """
    from bot.application import Webhook, build_application, serving_bot

    from . import lifetime

    config = bot_config(_config(ctx))
    telegram = config.telegram
    if not telegram.token:
        click.echo("error: set TELEGRAM_BOT_TOKEN to the token @BotFather gave the bot", err=True)
        ctx.exit(2)
    webhook = None
    if webhook_url:
        parts = urlsplit(webhook_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
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
    page = _listen(ctx, web_host, web_port) if with_web else None
    where = f"webhook on {listen}:{port}" if webhook else "long polling"
    service = _open_service(ctx, where)
    frontends: list[AbstractAsyncContextManager[Any]] = [
        serving_bot(build_application(service, config), webhook)
    ]
    if page is not None:
        frontends.append(_page(ctx, service, page, web_host))
    try:
        lifetime.run(service, frontends)
    except Exception:
        # Logged, so redacted: a traceback printed by Python could show the token.
        log.exception("the bot stopped on an error")
        ctx.exit(1)


def _listen(
    ctx: click.Context, host: str, port: int, *, any_port_if_taken: bool = False
) -> socket.socket:
    """The page's socket, bound before the model loads: a port in use is said at once."""
    # Imported when serving: the web framework would slow every other command's start.
    from web.server import ListenError, listen

    try:
        return listen(host, port)
    except ListenError as error:
        if any_port_if_taken and error.in_use:
            return listen(host, 0)
        click.echo(f"error: {error}", err=True)
        ctx.exit(1)


def _serve_web(ctx: click.Context, sock: socket.socket, host: str) -> None:
    from web.server import url

    from . import lifetime

    service = _open_service(ctx, f"the page on {url(sock)}")
    lifetime.run(service, [_page(ctx, service, sock, host)])


def _page(
    ctx: click.Context, service: AnswerService, sock: socket.socket, host: str
) -> AbstractAsyncContextManager[Any]:
    from web.app import create_app
    from web.server import serving_web, url

    app = create_app(service, web_settings(_config(ctx)), host)
    click.echo(f"The search page is at {url(sock)} (API docs at {url(sock)}docs).", err=True)
    return serving_web(app, sock)


def _open_service(ctx: click.Context, where: str) -> AnswerService:
    """The model and the index, loaded once for every front end of the process."""
    from questionlog.redaction import url_secrets
    from service.answering import AnswerService
    from service.logs import setup_logging
    from service.runtime import limit_threads, release_free_memory

    from . import lifetime

    settings, telegram = _settings(ctx), bot_config(_config(ctx)).telegram
    # A fatal signal (SIGBUS: a large memory-mapped index file cut short under the server)
    # would otherwise kill it without a word in the journal.
    faulthandler.enable()
    store_url = settings.store.url
    passwords = url_secrets(store_url) if store_url else []
    setup_logging([telegram.token, telegram.webhook_secret, *passwords])
    click.echo("Loading the model and the index...", err=True)
    with lifetime.stop_signals_while_loading():
        started = time.perf_counter()
        service = AnswerService.open(settings, log_questions=True)
    threads = limit_threads()
    service.warm_up()
    release_free_memory()
    log.info(
        "ready in %.1fs: %d documents (%s%s), %s, %d encoder thread(s)",
        time.perf_counter() - started,
        len(service.snapshot.corpus.documents),
        service.snapshot.build_id,
        ", read-only" if settings.index.read_only else "",
        where,
        threads,
    )
    return service
