"""Adding an interview through the bot: an administrator sends a file (Word, PDF, web page,
text) or `/import URL`, and gets a preview of what would be published with two buttons.
Publish writes the files into the corpus, rebuilds the index with the model already loaded
and serves it, taking turns with /reload; Cancel drops the upload.

What a file holds is told from its bytes, never its name. The preview and the publish are the
same import (`importer.import_source`) of the same bytes, kept until a button decides
(bot/staging.py), so a press after a restart still publishes what was previewed, and a
duplicate or a name taken meanwhile is caught when it is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from importer import Imported, Limits, Refused, Source, import_source
from importer.blocks import one_line
from importer.sources import MB, fetch, is_url, sniff
from records.errors import first_line

from . import upload_render as render
from .context import BotContext
from .questions import ADDRESSED
from .sending import send
from .staging import Claim, Outcome, Staging, State
from .texts import Texts

log = logging.getLogger(__name__)


def add_handlers(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Register the upload's handlers; before the others, which answer any file and any
    button they do not know."""
    message = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("import", import_command, filters=message),
            MessageHandler(message & filters.Document.ALL & ADDRESSED, document),
            CallbackQueryHandler(publish, pattern=_choice(render.Choice.PUBLISH)),
            CallbackQueryHandler(cancel, pattern=_choice(render.Choice.CANCEL)),
        ]
    )


async def document(update: Update, context: BotContext) -> None:
    """A file: its preview with Publish and Cancel, if it is an interview (administrators)."""
    message = _message(update)
    texts = context.texts
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(texts.upload_for_admins))
        return
    if await _replica(message, context):
        return
    attached = message.document
    assert attached is not None  # the handler's filter lets only documents through
    limit = _limits(context).max_bytes
    # Telegram states the size: a file over the limit is refused without downloading it.
    if attached.file_size is not None and attached.file_size > limit:
        await _too_large(message, attached.file_size, context)
        return
    await _typing(message, context)
    try:
        file = await attached.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as error:
        reason = f"cannot download the file: {error.message}"
        await message.reply_text(render.notice(texts.upload_refused.format(reason=reason)))
        return
    if len(data) > limit:
        await _too_large(message, len(data), context)
        return
    # The name is the uploader's: it names the source in messages, and a slug is made of it
    # only when the file states no title (the importer keeps the slug to ASCII words).
    name = one_line(attached.file_name or "") or "upload"
    await _preview(message, context, Source(name=name, data=data, stem=Path(name).stem))


async def import_command(update: Update, context: BotContext) -> None:
    """`/import URL`: the page's preview with Publish and Cancel (administrators)."""
    message = _message(update)
    texts = context.texts
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(texts.not_allowed))
        return
    if await _replica(message, context):
        return
    args = context.args or []
    # Only what names a scheme goes to fetch(), which refuses all but http(s): a path here
    # must never read a file of the server's.
    if len(args) != 1 or not is_url(args[0]):
        await message.reply_text(render.notice(texts.import_usage))
        return
    await _typing(message, context)
    try:
        source = await asyncio.to_thread(fetch, args[0], _limits(context))
    except Refused as refused:
        await message.reply_text(render.notice(texts.upload_refused.format(reason=refused.reason)))
        return
    await _preview(message, context, source)


async def publish(update: Update, context: BotContext) -> None:
    """Publish: write the files, rebuild the index and serve it; once, whatever the presses."""
    query, upload_id = _pressed(update)
    texts = context.texts
    staging = await _claimed(update, upload_id, context)
    if staging is None:
        return
    source = staging.source(upload_id)
    if source is None:
        staging.finish(upload_id, Outcome.FAILED)
        await query.answer(texts.upload_gone)
        return
    await query.answer(texts.upload_publishing)
    await _close_preview(query)
    await _say(query, context, texts.upload_publishing)
    results: list[Imported] = []

    def write() -> Sequence[Path]:
        result = import_source(source, _corpus_dir(context), limits=_limits(context))
        results.append(result)
        if result.status != "imported" or result.path is None:
            return []
        # The transcript first when they are removed again: never one without its sidecar.
        return [result.path, result.path.with_suffix(".toml")]

    try:
        snapshot = await context.service.publish(write)
    except Exception as error:  # the previous index keeps serving, the files are gone again
        log.error("publishing an upload failed: %s", error, exc_info=error)
        staging.finish(upload_id, Outcome.FAILED)
        await _say(query, context, texts.upload_failed.format(error=first_line(error)))
        return
    (result,) = results
    if snapshot is None:  # the corpus changed since the preview: now a duplicate, say
        staging.finish(upload_id, Outcome.FAILED)
        await _say(query, context, _not_imported(result, texts))
        return
    staging.finish(upload_id, Outcome.PUBLISHED)
    user = update.effective_user
    log.info("administrator %s published %s", user.id if user else "?", result.path)
    paragraphs = snapshot.manifest.count
    name = render.published_name(result)
    await _say(query, context, texts.upload_published.format(name=name, paragraphs=paragraphs))


async def cancel(update: Update, context: BotContext) -> None:
    """Cancel: drop the upload; a later Publish says it was cancelled."""
    query, upload_id = _pressed(update)
    staging = await _claimed(update, upload_id, context)
    if staging is None:
        return
    staging.finish(upload_id, Outcome.CANCELLED)
    await query.answer()
    await _close_preview(query)
    await _say(query, context, context.texts.upload_cancelled)


async def _preview(message: Message, context: BotContext, source: Source) -> None:
    texts = context.texts
    try:
        sniff(source.data)
    except Refused as refused:
        reason = refused.reason
        await message.reply_text(render.notice(texts.upload_wrong_type.format(reason=reason)))
        return
    folder = _corpus_dir(context)
    result = await asyncio.to_thread(
        import_source, source, folder, dry_run=True, limits=_limits(context)
    )
    if result.status != "imported":
        await message.reply_text(render.notice(_not_imported(result, texts)))
        return
    upload_id = await asyncio.to_thread(Staging(folder).stage, source)
    await send(message, render.preview(result, texts), render.keyboard(upload_id, texts))


def _not_imported(result: Imported, texts: Texts) -> str:
    if result.status == "duplicate" and result.path is not None:
        return texts.upload_duplicate.format(name=result.path.name)
    return texts.upload_refused.format(reason=result.reason or "?")


async def _claimed(update: Update, upload_id: str, context: BotContext) -> Staging | None:
    """The staging folder, if this press is an administrator's and the first on the upload;
    else None, the press answered with why."""
    query, texts = update.callback_query, context.texts
    assert query is not None
    if not context.shared.is_admin(update):
        await query.answer(texts.not_allowed)
        return None
    staging = Staging(_corpus_dir(context))
    claim = staging.claim(upload_id)
    if claim.state is not State.CLAIMED:
        await query.answer(_claim_notice(claim, texts))
        return None
    return staging


def _claim_notice(claim: Claim, texts: Texts) -> str:
    if claim.state is State.BUSY:
        return texts.upload_busy
    if claim.outcome is Outcome.PUBLISHED:
        return texts.upload_was_published
    if claim.outcome is Outcome.CANCELLED:
        return texts.upload_was_cancelled
    if claim.outcome is Outcome.FAILED:
        return texts.upload_was_failed
    return texts.upload_gone


async def _close_preview(query: CallbackQuery) -> None:
    """Take the buttons off the preview: the upload is decided."""
    # A preview Telegram no longer lets the bot edit keeps its buttons; their presses are
    # told what happened.
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)


async def _say(query: CallbackQuery, context: BotContext, text: str) -> None:
    """A message under the preview the button is on, or in its chat if Telegram no longer
    shows it."""
    html = render.notice(text)
    if isinstance(query.message, Message):
        await query.message.reply_text(html, do_quote=True)
    else:
        chat_id = query.message.chat.id if query.message else query.from_user.id
        await context.bot.send_message(chat_id, html)


async def _replica(message: Message, context: BotContext) -> bool:
    """True, said, when this bot serves a shared build read-only ([index] read_only): the
    interview is added where builds are published, and nothing is staged here."""
    if not context.service.settings.index.read_only:
        return False
    reason = "this bot is a replica serving a shared index; add it where the index is built"
    await message.reply_text(render.notice(context.texts.upload_refused.format(reason=reason)))
    return True


async def _too_large(message: Message, size: int, context: BotContext) -> None:
    limit = context.shared.config.bot.max_upload_mb
    text = context.texts.upload_too_large.format(size=f"{size / MB:.1f}", limit=limit)
    await message.reply_text(render.notice(text))


async def _typing(message: Message, context: BotContext) -> None:
    # Downloading and reading a long PDF or a slow page takes seconds: show that it is at work.
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)


def _limits(context: BotContext) -> Limits:
    return Limits(max_bytes=context.shared.config.bot.max_upload_mb * MB)


def _corpus_dir(context: BotContext) -> Path:
    return context.service.settings.corpus.dir


def _choice(choice: render.Choice) -> Any:
    def matches(data: object) -> bool:
        parsed = render.parse_callback(data)
        return parsed is not None and parsed[0] is choice

    return matches


def _pressed(update: Update) -> tuple[CallbackQuery, str]:
    query = update.callback_query
    assert query is not None  # registered as a CallbackQueryHandler with a data pattern
    parsed = render.parse_callback(query.data)
    assert parsed is not None
    return query, parsed[1]


def _message(update: Update) -> Message:
    message = update.effective_message
    assert message is not None  # the handlers' filters let only messages through
    return message
