"""The bot end to end: the real Application and HTTP client against the fake Bot API server,
with the real model and index of the session fixtures."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ask, open_service, running_bot, talking_to
from fake_telegram import Call, FakeTelegram, free_port, parse_telegram_html

from bot.application import ALLOWED_UPDATES, BotApplication, Webhook, build_application, serving_bot
from bot.context import shared_of
from bot.logs import REDACTED, RedactSecrets
from bot.texts import ENGLISH, LANGUAGES, RUSSIAN
from interview_bot.cli import cli
from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import Settings

Json = dict[str, Any]

TREATY = "Когда будет подписан договор с Россией?"  # -> interview/2.2 of 2.1-2.3
ORBIT = "Сходит ли Казахстан с российской орбиты?"  # -> interview/3.1
CHINA = "Что Казахстан предлагает китайским партнёрам?"  # -> interview/1.5
OFF_TOPIC = "How to cook pasta?"  # well below the threshold (checked in the test)


def calls(tg: FakeTelegram, method: str) -> list[Call]:
    return [call for call in tg.requests if call.method == method]


async def reply(tg: FakeTelegram, update: Json, method: str = "sendMessage") -> Json:
    """Push `update` and return the bot's next message, as the fake stores it."""
    before = len(calls(tg, method))
    tg.push_update(update)
    await tg.wait_for(method, before + 1)
    return tg.sent()[-1]


async def press(tg: FakeTelegram, data: str, message: Json, **options: Any) -> Json:
    """Press a button and return the message it brings; the query must be answered first."""
    update = tg.callback_update(data, message=message, **options)
    sent = await reply(tg, update)
    (answered,) = [
        c
        for c in calls(tg, "answerCallbackQuery")
        if c.params["callback_query_id"] == update["callback_query"]["id"]
    ]
    assert answered.status == 200 and "text" not in answered.params
    assert answered.time <= calls(tg, "sendMessage")[-1].time
    return sent


def buttons(message: Json) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def entity_texts(message: Json, kind: str) -> list[str]:
    encoded = message["text"].encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == kind
    ]


def mentioning(tg: FakeTelegram, text: str) -> Json:
    """A group message that starts with the bot's @username, marked up as Telegram does."""
    mention = "@interview_test_bot"
    entity = {"type": "mention", "offset": 0, "length": len(mention)}
    return tg.text_update(f"{mention} {text}".strip(), entities=[entity], chat_type="supergroup")


def best_id(service: AnswerService, question: str) -> str:
    answer = ask(service, question)
    assert answer.answered and answer.best is not None
    return answer.best.paragraph.id


# ---- questions -----------------------------------------------------------------------


async def test_question_gets_its_paragraph_as_a_reply(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    assert best_id(service, TREATY) == "interview/2.2"  # the premise, checked on the real index
    expected = service.snapshot.paragraph("interview/2.2")
    assert expected is not None
    update = tg.text_update(TREATY)
    pushed = time.monotonic()
    answer = await reply(tg, update)
    latency = calls(tg, "sendMessage")[0].time - pushed

    title = service.snapshot.documents[0].title
    assert answer["text"] == (
        f"{expected.question}\n{expected.section}\n\n{expected.text}\n\n"
        f"Источник: {title}\nАбзац 2 из 3"
    )
    # The sentence closest to the question is in bold inside the paragraph.
    best = ask(service, TREATY).best
    assert best is not None and best.highlight != expected.text
    assert best.highlight.startswith("Идеальным было бы его подписание")
    assert entity_texts(answer, "bold") == [expected.question, best.highlight]
    assert entity_texts(answer, "italic") == [expected.section]
    assert answer["reply_to_message"]["message_id"] == update["message"]["message_id"]
    assert buttons(answer) == [
        ("Другие ответы", "o:interview/2.2"),
        ("Весь ответ", "w:interview/2.2"),
    ]
    # "typing…" is shown first, and the reply is HTML without a link preview.
    assert [c.params for c in calls(tg, "sendChatAction")] == [
        {"chat_id": 1001, "action": "typing"}
    ]
    assert calls(tg, "sendChatAction")[0].time <= calls(tg, "sendMessage")[0].time
    params = calls(tg, "sendMessage")[0].params
    assert params["parse_mode"] == "HTML" and params["link_preview_options"]["is_disabled"]
    print(f"\nupdate-to-reply: {latency * 1000:.0f} ms")
    assert latency < 5


async def test_long_polling_confirms_every_update_once(
    bot: BotApplication, tg: FakeTelegram
) -> None:
    updates = [tg.text_update(q) for q in (TREATY, ORBIT, CHINA)]
    ids = [tg.push_update(update) for update in updates]
    await tg.wait_for("sendMessage", 3)
    # A poll with an offset past the last update confirms all three: the fake forgets them.
    while not any((c.get("offset") or 0) > ids[-1] for c in tg.calls("getUpdates")):
        await tg.wait_for("getUpdates", len(tg.calls("getUpdates")) + 1, timeout=3)
    assert tg.pending_updates == []
    await asyncio.sleep(0.1)
    answered = sorted(m["reply_to_message"]["message_id"] for m in tg.sent())
    assert answered == sorted(u["message"]["message_id"] for u in updates)
    assert tg.calls("getUpdates")[0]["allowed_updates"] == ALLOWED_UPDATES
    offsets = [c.get("offset") or 0 for c in tg.calls("getUpdates")]
    assert offsets == sorted(offsets)


async def test_other_answers_then_one_of_them_then_its_other_answers(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    hits = ask(service, TREATY).hits
    assert hits[0].paragraph.id == "interview/2.2"
    question = tg.text_update(TREATY)
    answer = await reply(tg, question)
    asked = question["message"]["message_id"]

    listing = await press(tg, "o:interview/2.2", answer)
    others = hits[1:]
    assert buttons(listing) == [(str(h.rank), f"h:{h.paragraph.id}") for h in others]
    assert listing["text"].startswith(f"Другие ответы на вопрос «{TREATY}»:\n\n")
    for hit in others:
        assert (
            f"{hit.rank}. {hit.paragraph.question}\n{hit.paragraph.text[:100]}" in listing["text"]
        )
    assert listing["reply_to_message"]["message_id"] == asked

    second = others[0].paragraph
    shown = await press(tg, f"h:{second.id}", listing)
    assert second.text in shown["text"] and shown["reply_to_message"]["message_id"] == asked
    assert buttons(shown) == [
        ("Другие ответы", f"o:{second.id}"),
        ("Весь ответ", f"w:{second.id}"),
    ]
    # Its own "Other answers" finds the question again, now leaving out the paragraph shown.
    relisting = await press(tg, f"o:{second.id}", shown)
    assert [data for _, data in buttons(relisting)] == [
        f"h:{h.paragraph.id}" for h in hits if h.paragraph.id != second.id
    ]


async def test_whole_answer_shows_every_paragraph_in_order(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    question = tg.text_update(TREATY)
    answer = await reply(tg, question)
    whole = await press(tg, "w:interview/2.2", answer)
    shown = service.snapshot.paragraph("interview/2.2")
    assert shown is not None
    paragraphs = service.snapshot.whole_answer(shown)
    assert [p.id for p in paragraphs] == ["interview/2.1", "interview/2.2", "interview/2.3"]
    positions = [whole["text"].index(p.text) for p in paragraphs]
    assert positions == sorted(positions)
    assert whole["text"].startswith(f"{shown.question}\n{shown.section}\n\n{paragraphs[0].text}")
    assert whole["reply_to_message"]["message_id"] == question["message"]["message_id"]
    assert "reply_markup" not in whole


async def test_buttons_work_after_a_restart(tg: FakeTelegram, service: AnswerService) -> None:
    config = talking_to(tg)
    async with running_bot(service, config):
        answer = await reply(tg, tg.text_update(ORBIT))
    async with running_bot(service, config):
        whole = await press(tg, "w:interview/3.1", answer)
    orbit = service.snapshot.paragraph("interview/3.1")
    assert orbit is not None
    assert all(p.text in whole["text"] for p in service.snapshot.whole_answer(orbit))


async def test_stale_buttons_get_a_notice(bot: BotApplication, tg: FakeTelegram) -> None:
    answer = await reply(tg, tg.text_update(TREATY))
    # A message as an older bot or index left it: a paragraph that is gone, data this bot
    # never sends, and a question that was deleted.
    old = copy.deepcopy(answer)
    old["message_id"] = 9_999
    del old["reply_to_message"]
    old["reply_markup"] = {
        "inline_keyboard": [
            [
                {"text": "a", "callback_data": "w:interview/99.1"},
                {"text": "b", "callback_data": "page:2"},
                {"text": "c", "callback_data": "o:interview/2.2"},
            ]
        ]
    }
    sent = len(calls(tg, "sendMessage"))
    for data in ("w:interview/99.1", "page:2", "o:interview/2.2"):
        tg.push_update(tg.callback_update(data, message=old))
    notices = await tg.wait_for("answerCallbackQuery", 3)
    assert [n["text"] for n in notices] == [RUSSIAN.stale] * 3
    assert len(calls(tg, "sendMessage")) == sent


async def test_off_topic_question_offers_the_nearest_questions(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    premise = ask(service, OFF_TOPIC)
    assert not premise.answered and premise.hits[0].score < service.settings.search.threshold - 0.03
    nearest = [hit.paragraph for hit in premise.nearest_questions]
    assert len(nearest) == 3

    offer = await reply(tg, tg.text_update(OFF_TOPIC))
    assert offer["text"].startswith(f"В интервью нет близкого ответа на вопрос «{OFF_TOPIC}».")
    assert all(p.question in offer["text"] for p in nearest)
    assert [data for _, data in buttons(offer)] == [f"h:{p.id}" for p in nearest]
    assert [len(row) for row in offer["reply_markup"]["inline_keyboard"]] == [1, 1, 1]

    shown = await press(tg, f"h:{nearest[0].id}", offer)
    assert nearest[0].text in shown["text"] and nearest[0].question in shown["text"]
    assert buttons(shown)[0][1] == f"o:{nearest[0].id}"


async def test_html_in_the_question_is_escaped(
    tg: FakeTelegram, built_settings: Settings, encoder: Encoder
) -> None:
    # A threshold nothing reaches: the reply echoes the question whatever its score.
    search = dataclasses.replace(built_settings.search, threshold=0.99)
    strict = open_service(dataclasses.replace(built_settings, search=search), encoder)
    question = "<b>договор</b> & <script>"
    async with running_bot(strict, talking_to(tg)):
        offer = await reply(tg, tg.text_update(question))
    await strict.close()
    assert [c.status for c in calls(tg, "sendMessage")] == [200]  # the fake parsed the HTML
    assert offer["text"].startswith(f"В интервью нет близкого ответа на вопрос «{question}».")
    assert entity_texts(offer, "bold") == []


async def test_non_questions_get_a_short_reply(bot: BotApplication, tg: FakeTelegram) -> None:
    cases = [
        (tg.sticker_update(), RUSSIAN.not_text),
        (tg.photo_update("Когда подпишут договор?"), RUSSIAN.not_text),
        (tg.voice_update(), RUSSIAN.not_text),
        (tg.location_update(), RUSSIAN.not_text),
        (tg.edited_text_update("исправлено", message_id=1), RUSSIAN.edited),
        (tg.text_update(" \u2003 "), RUSSIAN.empty),
        (tg.text_update("вопрос " * 100), RUSSIAN.too_long.format(limit=500)),
        (tg.text_update("/nonsense"), RUSSIAN.unknown_command),
    ]
    for update, expected in cases:
        assert (await reply(tg, update))["text"] == expected
    assert calls(tg, "sendChatAction") == []  # nothing was searched
    assert [c.status for c in calls(tg, "sendMessage")] == [200] * len(cases)


# PTB's own RetryAfter warns about its int retry_after (deprecated since 22.2): not ours to fix.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_is_waited_out_and_the_reply_sent_once(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=1)
    tg.push_update(tg.text_update(ORBIT))
    await tg.wait_for("sendMessage", 2, timeout=10)
    await asyncio.sleep(0.2)
    failed, retried = calls(tg, "sendMessage")
    assert (failed.status, retried.status) == (429, 200)
    assert retried.time - failed.time >= 1.0
    (answer,) = tg.sent()
    paragraph = service.snapshot.paragraph(best_id(service, ORBIT))
    assert paragraph is not None and paragraph.text in answer["text"]


# ---- chats, commands, languages ------------------------------------------------------


async def test_start_lists_the_documents_and_offers_examples(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    start = await reply(tg, tg.text_update("/start"))
    assert start["text"].startswith("Я отвечаю на вопросы")
    assert f"• {service.snapshot.documents[0].title}" in start["text"]
    assert "@interview_test_bot" in start["text"]
    keyboard = calls(tg, "sendMessage")[0].params["reply_markup"]
    assert [row[0]["text"] for row in keyboard["keyboard"]] == list(RUSSIAN.examples)
    # Tapping an example sends it as a question.
    example = await reply(tg, tg.text_update(RUSSIAN.examples[0]))
    assert buttons(example)[0][1] == f"o:{best_id(service, RUSSIAN.examples[0])}"


async def test_help_and_about(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    assert "/about — Источники ответов" in (await reply(tg, tg.text_update("/help")))["text"]
    about = await reply(tg, tg.text_update("/about"))
    document = service.snapshot.documents[0]
    # The seed corpus has no date or URL yet: they are left out, not shown as "None".
    assert about["text"] == f"Источники\n\n• {document.title} ({document.interviewee})"


async def test_commands_are_registered_in_both_languages(
    bot: BotApplication, tg: FakeTelegram
) -> None:
    # serving_bot() registered them on start.
    registered = {c.get("language_code"): c["commands"] for c in tg.calls("setMyCommands")}
    assert set(registered) == {None, "en"}
    for texts in LANGUAGES:
        commands = registered[texts.language_code]
        assert [(c["command"], c["description"]) for c in commands] == list(texts.commands)


async def test_english_interface_for_english_users(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    start = await reply(tg, tg.text_update("/start", language_code="en-GB"))
    assert start["text"].startswith("I answer questions")
    keyboard = calls(tg, "sendMessage")[0].params["reply_markup"]
    assert [row[0]["text"] for row in keyboard["keyboard"]] == list(ENGLISH.examples)

    question = ENGLISH.examples[1]
    answer = await reply(tg, tg.text_update(question, language_code="en"))
    paragraph = service.snapshot.paragraph(best_id(service, question))
    assert paragraph is not None
    title = service.snapshot.documents[0].title
    position = f"Paragraph {paragraph.position} of {paragraph.count}"
    assert answer["text"].endswith(f"Source: {title}\n{position}")
    assert [text for text, _ in buttons(answer)] == ["Other answers", "Whole answer"]
    whole = await press(tg, f"w:{paragraph.id}", answer, language_code="en")
    assert whole["text"].endswith(f"Source: {service.snapshot.documents[0].title}")


async def test_every_example_question_is_answered(service: AnswerService) -> None:
    for texts in LANGUAGES:
        answers = service.answer(texts.examples)
        assert [a.answered for a in answers] == [True] * len(texts.examples), texts.examples


async def test_in_groups_only_mentions_and_replies_are_answered(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    group = {"chat_type": "supergroup"}
    tg.push_update(tg.text_update(ORBIT, **group))  # other people's conversation
    tg.push_update(tg.sticker_update(**group))
    asked = mentioning(tg, ORBIT)
    answer = await reply(tg, asked)
    orbit = service.snapshot.paragraph(best_id(service, ORBIT))
    assert orbit is not None and orbit.text in answer["text"]
    assert answer["chat"]["type"] == "supergroup"
    assert answer["reply_to_message"]["message_id"] == asked["message"]["message_id"]

    followup = await reply(tg, tg.text_update(CHINA, reply_to_bot=True, **group))
    china = service.snapshot.paragraph(best_id(service, CHINA))
    assert china is not None and china.text in followup["text"]
    assert len(calls(tg, "sendMessage")) == 2 and len(calls(tg, "sendChatAction")) == 2

    # The mention is not part of the question the buttons search again.
    listing = await press(tg, f"o:{orbit.id}", answer)
    assert listing["text"].startswith(f"Другие ответы на вопрос «{ORBIT}»:")
    # A bare mention is an empty question; /start shows no reply keyboard to the whole group.
    assert (await reply(tg, mentioning(tg, "")))["text"] == RUSSIAN.empty
    await reply(tg, tg.text_update("/start@interview_test_bot", **group))
    assert "reply_markup" not in calls(tg, "sendMessage")[-1].params


async def test_inline_query_offers_the_top_hits(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    hits = ask(service, TREATY).hits
    tg.push_update(tg.inline_update(TREATY))
    (call,) = await tg.wait_for("answerInlineQuery")
    results = call["results"]
    assert [r["title"] for r in results] == [h.paragraph.question for h in hits]
    assert len({r["id"] for r in results}) == len(hits)
    for result, hit in zip(results, hits, strict=True):
        assert hit.paragraph.text.startswith(result["description"].removesuffix("…"))
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML"
        shown, entities = parse_telegram_html(content["message_text"])
        assert hit.paragraph.text in shown and "Источник: " in shown
        bold = [
            shown[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "bold"
        ]
        highlight = [hit.highlight] if hit.highlight != hit.paragraph.text else []
        assert bold == [hit.paragraph.question, *highlight]
    assert call["cache_time"] <= 60 and call["is_personal"] is True

    tg.push_update(tg.inline_update("", language_code="en"))
    _, empty = await tg.wait_for("answerInlineQuery", 2)
    assert empty["results"] == []
    assert empty["button"] == {"text": ENGLISH.inline_hint, "start_parameter": "help"}
    assert all(c.status == 200 for c in calls(tg, "answerInlineQuery"))


# ---- errors and logs -----------------------------------------------------------------


async def test_errors_are_logged_with_the_update_id_and_never_the_token(
    bot: BotApplication,
    tg: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As `serve` installs it on the root handlers; httpx logs each URL, token included.
    caplog.handler.addFilter(RedactSecrets([tg.token]))
    caplog.set_level(logging.DEBUG)
    await reply(tg, tg.text_update(CHINA))

    async def broken(query: str, top_k: int | None = None) -> None:
        raise RuntimeError(f"index unavailable at {tg.base_url}{tg.token}/")

    monkeypatch.setattr(shared_of(bot).service, "ask", broken)
    update_id = tg.push_update(tg.text_update(ORBIT))
    await tg.wait_for("sendMessage", 2)
    assert tg.sent()[-1]["text"] == RUSSIAN.error

    assert f"update {update_id} failed: index unavailable at" in caplog.text
    assert REDACTED in caplog.text  # httpx's request lines, and the error, were redacted
    assert tg.token not in caplog.text
    assert not any(tg.token in record.getMessage() for record in caplog.records)


# ---- webhook and the serve command ---------------------------------------------------


async def test_webhook_needs_the_secret_token(tg: FakeTelegram, service: AnswerService) -> None:
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/telegram/hook", "s3cret_token-1", "127.0.0.1", port)
    application = build_application(service, talking_to(tg))
    async with serving_bot(application, hook):
        assert tg.webhook is not None
        assert (tg.webhook["url"], tg.webhook["secret_token"]) == (hook.url, hook.secret)
        assert tg.webhook["allowed_updates"] == ALLOWED_UPDATES
        assert await tg.post_webhook(hook.url, tg.text_update(ORBIT), "wrong") == 403
        assert await tg.post_webhook(hook.url, tg.text_update(ORBIT)) == 403
        assert await tg.deliver_to_webhook(tg.text_update(CHINA)) == 200
        await tg.wait_for("sendMessage")
        await asyncio.sleep(0.2)
    (answer,) = tg.sent()
    china = service.snapshot.paragraph(best_id(service, CHINA))
    assert china is not None and china.text in answer["text"]
    assert tg.calls("getUpdates") == []


def serve_env(settings: Settings, **env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return {**base, "INTERVIEW_BOT_CONFIG": str(settings.path), **env}


def wait_for_line(lines: list[str], text: str, process: subprocess.Popen[str]) -> str:
    """The first of `lines` (read from the process's stderr on a thread) containing `text`."""
    deadline = time.monotonic() + 30
    while not (found := [line for line in lines if text in line]):
        assert process.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, f"no {text!r} in stderr:\n{''.join(lines)}"
        time.sleep(0.01)
    return found[0]


def test_serve_answers_over_long_polling_reloads_on_sighup_and_exits_0_on_sigint(
    built_settings: Settings,
) -> None:
    command = Path(sys.executable).with_name("interview-bot")
    assert command.exists(), "the console script: pip install -e ."
    lines: list[str] = []
    with FakeTelegram() as tg:
        env = serve_env(built_settings, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_BASE_URL=tg.base_url)
        started, started_at = time.monotonic(), time.time()
        process = subprocess.Popen(
            [str(command), "-v", "serve"], env=env, stderr=subprocess.PIPE, text=True
        )
        # Read on a thread: a full pipe would block the bot.
        assert process.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")))
        reader.start()
        try:
            while not calls(tg, "getUpdates"):
                assert process.poll() is None, "".join(lines)
                assert time.monotonic() - started < 120, "no getUpdates within 120 s"
                time.sleep(0.01)
            first_poll = calls(tg, "getUpdates")[0].time - started
            pushed = time.monotonic()
            tg.push_update(tg.text_update(TREATY))
            tg.wait_for_sync("sendMessage", timeout=30)
            latency = calls(tg, "sendMessage")[0].time - pushed
            # SIGHUP reloads the index (the same one: the corpus did not change).
            process.send_signal(signal.SIGHUP)
            reloaded = wait_for_line(lines, "index reloaded: ", process)
            # Faults that make PTB and the bot log errors, none with the token in it.
            tg.reset_next("getUpdates")
            tg.fail_next("sendMessage", status=500)
            tg.push_update(tg.text_update(ORBIT))
            tg.wait_for_sync("sendMessage", 3, timeout=30)
            wait_for_line(lines, "error outside an update: httpx.RemoteProtocolError", process)
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            reader.join(timeout=10)
    stderr = "".join(lines)
    assert process.returncode == 0, stderr
    first, second = tg.sent()
    assert "Идеальным было бы его подписание" in first["text"]  # interview/2.2
    assert "Нет, не оправданы." in second["text"]  # interview/3.1
    assert [c.status for c in calls(tg, "sendMessage")] == [200, 500, 200]
    # The model and the index load before polling starts, announced in one line.
    (ready,) = [line for line in stderr.splitlines() if " ready in " in line]
    assert "long polling" in ready
    ready_at = datetime.datetime.strptime(ready[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    assert ready_at <= started_at + (calls(tg, "getMe")[0].time - started)
    assert "index reloaded: 11 paragraphs" in reloaded
    assert "sendMessage failed (Internal Server Error), retry 1 in 0.2s" in stderr
    assert tg.token not in stderr
    assert {c.get("language_code") for c in tg.calls("setMyCommands")} == {None, "en"}
    print(f"\nserve start to first getUpdates: {first_poll:.2f} s")
    print(f"update-to-reply (first question): {latency * 1000:.0f} ms")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "TELEGRAM_BOT_TOKEN"),
        (
            ["--webhook-url", "https://bot.example.com/hook"],
            {"TELEGRAM_BOT_TOKEN": "1:x"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (["--webhook-url", "bot.example.com"], {"TELEGRAM_BOT_TOKEN": "1:x"}, "--webhook-url"),
        (
            ["--webhook-url", "https://bot.example.com/hook"],
            {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "not valid!"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_serve_refuses_to_start_without_what_it_needs(
    built_settings: Settings, args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["serve", *args], env=serve_env(built_settings, **env))
    assert result.exit_code == 2
    assert message in result.stderr
