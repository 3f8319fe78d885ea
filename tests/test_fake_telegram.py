"""The fake Telegram server works with the real python-telegram-bot (Application + httpx)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from testkit.fake_telegram import MAX_DOWNLOAD_BYTES, FakeTelegram, free_port, polling

Context = ContextTypes.DEFAULT_TYPE


def build_app(tg: FakeTelegram, **options) -> Application:
    builder = Application.builder().token(options.pop("token", tg.token))
    builder = builder.base_url(tg.base_url).base_file_url(tg.base_file_url)
    if "rate_limiter" in options:
        builder = builder.rate_limiter(options.pop("rate_limiter"))
    return builder.build()


async def echo(update: Update, context: Context) -> None:
    await update.message.reply_text(update.message.text)


def bot_for(tg: FakeTelegram) -> Bot:
    return Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)


async def test_initialize_calls_get_me(tg: FakeTelegram) -> None:
    async with build_app(tg) as app:
        assert app.bot.username == "interview_test_bot"
        assert app.bot.supports_inline_queries
        assert app.bot.id == int(tg.token.split(":")[0])
    assert tg.calls("getMe") == [{}]


async def test_polling_echoes_each_update_once(tg: FakeTelegram) -> None:
    app = build_app(tg)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(app):
        ids = [tg.push_update(tg.text_update(text)) for text in ("один", "два", "три")]
        await tg.wait_for("sendMessage", 3)
        # A poll with an offset past the last update confirms all three: the fake forgets them.
        while not any(c.get("offset", 0) > ids[-1] for c in tg.calls("getUpdates")):
            await tg.wait_for("getUpdates", len(tg.calls("getUpdates")) + 1, timeout=3)
        assert tg.pending_updates == []

    assert [m["text"] for m in tg.sent()] == ["один", "два", "три"]
    assert len(tg.calls("sendMessage")) == 3
    assert [c.method for c in tg.requests][:3] == ["getMe", "deleteWebhook", "getUpdates"]
    first, second, third = tg.sent()
    assert first["chat"]["id"] == 1001 and first["from"]["is_bot"]
    # One message-id sequence per chat, shared by the user's and the bot's messages.
    assert [first["message_id"], second["message_id"], third["message_id"]] == [4, 5, 6]


async def test_command_gets_bot_command_entity(tg: FakeTelegram) -> None:
    async def start(update: Update, context: Context) -> None:
        await update.message.reply_text(f"args={context.args}")

    app = build_app(tg)
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        update = tg.text_update("/start deep-link")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        tg.push_update(update)
        tg.push_update(tg.text_update("/start@interview_test_bot", chat_type="supergroup"))
        await tg.wait_for("sendMessage", 2)
    assert [m["text"] for m in tg.sent()] == ["args=['deep-link']", "args=[]"]
    assert tg.sent()[1]["chat"]["type"] == "supergroup"


async def test_callback_query_is_answered_and_message_edited(tg: FakeTelegram) -> None:
    async def menu(update: Update, context: Context) -> None:
        keyboard = [[InlineKeyboardButton("Дальше", callback_data="page:2")]]
        await update.message.reply_text("Страница 1", reply_markup=InlineKeyboardMarkup(keyboard))

    async def page(update: Update, context: Context) -> None:
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("<b>Страница 2</b>", parse_mode="HTML")

    app = build_app(tg)
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(page, pattern="^page:"))
    async with polling(app):
        tg.push_update(tg.text_update("/menu"))
        await tg.wait_for("sendMessage")
        (shown,) = tg.sent()
        assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "page:2"
        with pytest.raises(ValueError, match="no button"):
            tg.callback_update("page:3", message=shown)
        press = tg.callback_update("page:2", message=shown)
        tg.push_update(press)
        await tg.wait_for("editMessageText")

    (answer,) = tg.calls("answerCallbackQuery")
    assert answer == {"callback_query_id": press["callback_query"]["id"], "text": "ok"}
    (edited,) = tg.sent()
    assert edited["text"] == "Страница 2"  # Telegram stores the text without the tags
    assert edited["entities"] == [{"type": "bold", "offset": 0, "length": 10}]
    assert "reply_markup" not in edited  # an edit without reply_markup drops the keyboard


async def test_retry_after_is_retried_by_the_rate_limiter(tg: FakeTelegram) -> None:
    app = build_app(tg, rate_limiter=AIORateLimiter(max_retries=2))
    app.add_handler(MessageHandler(filters.TEXT, echo))
    tg.fail_next("sendMessage", status=429, retry_after=1)
    async with polling(app):
        tg.push_update(tg.text_update("повтори"))
        await tg.wait_for("sendMessage", 2, timeout=5)

    failed, retried = [c for c in tg.requests if c.method == "sendMessage"]
    assert failed.status == 429 and failed.response["parameters"] == {"retry_after": 1}
    assert retried.status == 200
    assert retried.time - failed.time >= 1.0
    assert [m["text"] for m in tg.sent()] == ["повтори"]


async def test_malformed_html_is_a_bad_request(tg: FakeTelegram) -> None:
    async with bot_for(tg) as bot:
        # PTB strips "Bad Request: " and str.capitalize()s the rest: match case-insensitively.
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: can't find end tag"):
            await bot.send_message(1001, "<b>x", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "" at byte offset 2'):
            await bot.send_message(1001, "1 < 2", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
            await bot.send_message(1001, "a<br>b", parse_mode="HTML")
        message = await bot.send_message(
            1001, '<i>Цитата</i> &lt;1&gt; <a href="https://t.me">x</a>', parse_mode="HTML"
        )
    assert message.text == "Цитата <1> x"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("italic", 0, 6),
        ("text_link", 11, 1),
    ]
    assert [c.status for c in tg.requests if c.method == "sendMessage"] == [400, 400, 400, 200]


async def test_limits_that_telegram_enforces(tg: FakeTelegram) -> None:
    async with bot_for(tg) as bot:
        await bot.send_message(1001, "я" * 4096)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(1001, "я" * 4097)
        # The limit counts the text after the tags are stripped.
        await bot.send_message(1001, "<b>" + "я" * 4096 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(1001, "  \n ")
        too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(1001, "keyboard", reply_markup=too_long_data)
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([("Start", "Начать")])
        sent = await bot.send_message(1001, "same")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await sent.edit_text("same")
        await bot.set_my_commands([("start", "Начать"), ("help", "Помощь")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]


async def test_inline_query_results_are_limited_to_50(tg: FakeTelegram) -> None:
    async def inline(update: Update, context: Context) -> None:
        count = int(update.inline_query.query)
        results = [
            InlineQueryResultArticle(str(i), f"#{i}", InputTextMessageContent(f"ответ {i}"))
            for i in range(count)
        ]
        try:
            await update.inline_query.answer(results)
        except BadRequest as error:
            await context.bot.send_message(1001, f"failed: {error}")

    app = build_app(tg)
    app.add_handler(InlineQueryHandler(inline))
    async with polling(app):
        tg.push_update(tg.inline_update("50"))
        tg.push_update(tg.inline_update("51"))
        await tg.wait_for("answerInlineQuery", 2)
        await tg.wait_for("sendMessage")
    ok, refused = [c for c in tg.requests if c.method == "answerInlineQuery"]
    assert (ok.status, len(ok.params["results"])) == (200, 50)
    assert refused.response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: RESULTS_TOO_MUCH",
    }
    assert tg.sent()[0]["text"] == "failed: Results_too_much"  # sic: PTB capitalize()s it


async def test_webhook_round_trip(tg: FakeTelegram) -> None:
    app = build_app(tg)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    async with app:
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cret"
        )
        try:
            await app.start()
            assert tg.webhook is not None
            assert (tg.webhook["url"], tg.webhook["secret_token"]) == (url, "s3cret")
            assert await tg.post_webhook(url, tg.text_update("по вебхуку"), "s3cret") == 200
            await tg.wait_for("sendMessage")
            assert await tg.post_webhook(url, tg.text_update("чужой"), "wrong") == 403
            assert await tg.post_webhook(url, tg.text_update("без секрета")) == 403
            assert await tg.deliver_to_webhook(tg.text_update("ещё")) == 200
            await tg.wait_for("sendMessage", 2)
        finally:
            await app.updater.stop()
            if app.running:
                await app.stop()
    assert [m["text"] for m in tg.sent()] == ["по вебхуку", "ещё"]
    assert tg.calls("getUpdates") == []


async def test_wrong_token_is_invalid_token(tg: FakeTelegram) -> None:
    app = build_app(tg, token="42:not-the-token")
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        # A failed initialize() leaves the Application "not initialized", so its shutdown()
        # is a no-op: close the bot's HTTP clients directly.
        await app.bot.shutdown()
    assert [(c.method, c.status) for c in tg.requests] == [("getMe", 401)]


async def test_dropped_connection_and_server_errors_are_network_errors(tg: FakeTelegram) -> None:
    async with bot_for(tg) as bot:
        tg.reset_next("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(1001, "a")
        tg.fail_next("sendMessage", status=502)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(1001, "b")
        tg.delay_next("sendMessage", 0.3)
        started = time.monotonic()
        await bot.send_message(1001, "c")
        assert time.monotonic() - started >= 0.3
    assert [c.status for c in tg.requests if c.method == "sendMessage"] == [0, 502, 200]
    assert [m["text"] for m in tg.sent()] == ["c"]


async def test_media_updates_and_file_download(tg: FakeTelegram) -> None:
    async def voice(update: Update, context: Context) -> None:
        file = await update.message.voice.get_file()
        content = await file.download_as_bytearray()
        await update.message.reply_text(f"{len(content)} bytes")

    async def other(update: Update, context: Context) -> None:
        message = update.effective_message
        kind = "edit" if update.edited_message else message.effective_attachment.__class__
        await context.bot.send_message(message.chat_id, f"got {getattr(kind, '__name__', kind)}")

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.VOICE, voice))
    app.add_handler(MessageHandler(filters.ALL, other))
    async with polling(app):
        tg.push_update(tg.voice_update(content=b"12345"))
        tg.push_update(tg.sticker_update())
        tg.push_update(tg.location_update())
        tg.push_update(tg.photo_update("подпись"))
        tg.push_update(tg.edited_text_update("исправлено", message_id=1))
        await tg.wait_for("sendMessage", 5)
    assert [m["text"] for m in tg.sent()] == [
        "5 bytes",
        "got Sticker",
        "got Location",
        "got tuple",  # a photo's attachment is the tuple of its sizes
        "got edit",
    ]


async def test_documents_are_downloaded_up_to_the_bot_api_limit(tg: FakeTelegram) -> None:
    async def document(update: Update, context: Context) -> None:
        attached = update.message.document
        try:
            file = await attached.get_file()
        except BadRequest as error:
            await update.message.reply_text(f"{attached.file_name}: {error.message}")
            return
        content = await file.download_as_bytearray()
        await update.message.reply_text(f"{attached.file_name}: {bytes(content)!r}")

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    async with polling(app):
        small = tg.document_update(b"%PDF-1.7", "a.pdf")
        assert small["message"]["document"]["file_size"] == 8
        tg.push_update(small)
        await tg.wait_for("sendMessage", 1)
        tg.push_update(tg.document_update(bytes(MAX_DOWNLOAD_BYTES + 1), "big.pdf"))
        await tg.wait_for("sendMessage", 2)
    assert [m["text"] for m in tg.sent()] == ["a.pdf: b'%PDF-1.7'", "big.pdf: File is too big"]
    unsized = tg.document_update(b"x", None, mime_type=None, file_size=None)["message"]
    assert set(unsized["document"]) == {"file_id", "file_unique_id"}


def test_threaded_server_with_a_bot_in_a_subprocess() -> None:
    script = textwrap.dedent(
        """
        import sys
        from telegram.ext import Application, MessageHandler, filters

        async def echo(update, context):
            await update.message.reply_text(update.message.text.upper())

        token, base_url = sys.argv[1:3]
        app = Application.builder().token(token).base_url(base_url).build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        app.run_polling(poll_interval=0, timeout=1)
        """
    )
    with FakeTelegram() as tg:
        bot = subprocess.Popen([sys.executable, "-c", script, tg.token, tg.base_url])
        try:
            tg.push_update(tg.text_update("из потока"))
            tg.wait_for_sync("sendMessage", timeout=20)
        finally:
            bot.terminate()  # run_polling stops cleanly on SIGTERM
            assert bot.wait(timeout=10) == 0
    assert [m["text"] for m in tg.sent()] == ["ИЗ ПОТОКА"]
