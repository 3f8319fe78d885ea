"""The bot under stress: hot reload, Telegram faults, load, abuse limits and secrets.

The real Application and HTTP client run against the fake Bot API server, with the real
model and index of the session fixtures; a reload test works on its own copy of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    copy_seed_corpus,
    open_service,
    running_bot,
    talking_to,
    write_config,
)
from telegram.error import BadRequest, NetworkError
from test_bot import ORBIT, TREATY, best_id, buttons, calls, press, reply, toast

from bot import application as application_module
from bot.application import BotApplication, Webhook
from bot.context import shared_of
from bot.guards import Admission, RateLimit
from bot.network import RetryingRateLimiter
from bot.texts import ENGLISH, RUSSIAN
from retrieval.indexing.views import sentences
from service.answering import AnswerService
from service.decision import Decision
from service.encoder import Encoder
from service.logs import REDACTED, install_redaction
from service.runtime import limit_threads
from service.settings import Settings, load_settings
from service.snapshot import Snapshot
from testkit.fake_telegram import FakeTelegram

Json = dict[str, Any]
ADMIN = 4242
RETRY_AFTER_WARNING = "ignore::telegram.warnings.PTBDeprecationWarning"


def replies_to(tg: FakeTelegram, update: Json) -> list[Json]:
    """The bot's messages that reply to the update's message."""
    message = update["message"]
    return [
        sent
        for sent in tg.sent(message["chat"]["id"])
        if sent.get("reply_to_message", {}).get("message_id") == message["message_id"]
    ]


async def settle(tg: FakeTelegram, seconds: float = 0.3) -> None:
    """Give the bot time to send anything more it would (wrongly) send."""
    await asyncio.sleep(seconds)


# ---- Telegram faults ---------------------------------------------------------------------


@pytest.mark.filterwarnings(RETRY_AFTER_WARNING)
@pytest.mark.parametrize(
    ("fault", "failed_status"),
    [
        (lambda tg: tg.fail_next("sendMessage", status=502), 502),
        (lambda tg: tg.fail_next("sendMessage", status=500), 500),
        (lambda tg: tg.reset_next("sendMessage"), 0),
        (lambda tg: tg.fail_next("sendMessage", status=429, retry_after=0.5), 429),
    ],
    ids=["502", "500", "connection-reset", "429"],
)
async def test_a_failed_send_is_retried_and_the_reply_arrives_once(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, fault: Any, failed_status: int
) -> None:
    fault(tg)
    question = tg.text_update(ORBIT)
    tg.push_update(question)
    await tg.wait_for("sendMessage", 2)
    await settle(tg)
    failed, retried = calls(tg, "sendMessage")
    assert (failed.status, retried.status) == (failed_status, 200)
    assert retried.time - failed.time >= 0.2  # backed off (429: waited retry_after)
    (answer,) = tg.sent()
    paragraph = service.snapshot.corpus.paragraph(best_id(service, ORBIT))
    assert paragraph is not None and paragraph.text in answer["text"]
    assert replies_to(tg, question) == [answer]


async def test_a_timed_out_send_is_retried_and_the_reply_arrives_once(
    tg: FakeTelegram,
    built_settings: Settings,
    service: AnswerService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Long enough that the retry itself never times out on a busy machine.
    monkeypatch.setattr(application_module, "READ_TIMEOUT", 1.0)
    tg.delay_next("sendMessage", 3)  # the fake drops a call whose client gave up
    async with running_bot(service, talking_to(tg)):
        tg.push_update(tg.text_update(TREATY))
        await tg.wait_for("sendMessage", 1)
        await settle(tg)
    timed_out, retried = calls(tg, "sendMessage")
    assert timed_out.status is None and retried.status == 200
    assert retried.time - timed_out.time >= 1.0 + 0.2
    (answer,) = tg.sent()
    assert "Идеальным было бы его подписание" in answer["text"]


async def test_a_failed_button_answer_is_retried(bot: BotApplication, tg: FakeTelegram) -> None:
    answer = await reply(tg, tg.text_update(TREATY))
    tg.fail_next("answerCallbackQuery", status=502)
    tg.reset_next("sendMessage")
    tg.push_update(tg.callback_update("w:interview/2.2", message=answer))
    await tg.wait_for("sendMessage", 3)  # the answer, the dropped one, its retry
    await settle(tg)
    assert [c.status for c in calls(tg, "answerCallbackQuery")] == [502, 200]
    assert [c.status for c in calls(tg, "sendMessage")] == [200, 0, 200]
    first, whole = tg.sent()
    assert first["message_id"] == answer["message_id"]
    assert whole["text"].count("Идеальным было бы его подписание") == 1


async def test_a_send_failing_past_the_retries_is_logged_and_skipped(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tg.fail_next("sendMessage", status=502, times=4)
    tg.push_update(tg.text_update(ORBIT))
    # Four attempts, then the error handler's notice gets through.
    await tg.wait_for("sendMessage", 5)
    assert [c.status for c in calls(tg, "sendMessage")] == [502] * 4 + [200]
    assert [m["text"] for m in tg.sent()] == [RUSSIAN.error]
    assert "sendMessage failed 4 times, giving up: Bad Gateway" in caplog.text
    # The bot goes on serving.
    answer = await reply(tg, tg.text_update(TREATY))
    assert "Идеальным было бы его подписание" in answer["text"]


async def test_the_bot_survives_polling_faults_and_never_logs_the_token(
    tg: FakeTelegram,
    built_settings: Settings,
    service: AnswerService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    undo = install_redaction([tg.token])  # as `serve` does
    try:
        for name in ("", "httpx", "httpcore", "telegram", "bot"):
            caplog.set_level(logging.DEBUG, logger=name)
        tg.reset_next("getUpdates")
        tg.fail_next("getUpdates", status=500)
        tg.fail_next("sendMessage", status=502, times=4)  # past the retries: an error logged
        async with running_bot(service, talking_to(tg)):
            failed = tg.text_update(ORBIT)
            tg.push_update(failed)
            await tg.wait_for("sendMessage", 5, timeout=15)
            answer = await reply(tg, tg.text_update(TREATY))
    finally:
        undo()
    assert "Идеальным было бы его подписание" in answer["text"]
    assert [c.status for c in calls(tg, "getUpdates")][:2] == [0, 500]
    logged = caplog.text
    assert "error outside an update: " in logged  # the polling failure, via on_error
    assert f"update {failed['update_id']} failed: Bad Gateway" in logged
    assert REDACTED in logged  # httpx's request lines name each URL, the token redacted
    for record in caplog.records:
        assert tg.token not in record.getMessage(), record.getMessage()
        assert tg.token not in (record.exc_text or "")
        if record.exc_info:
            assert tg.token not in logging.Formatter().formatException(record.exc_info)
        assert tg.token not in (record.stack_info or "")


async def test_malformed_updates_are_logged_and_skipped(
    bot: BotApplication, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    chat = {"id": 1001, "type": "private", "first_name": "Test"}
    now = int(time.time())
    unparseable = [
        {"message": {"message_id": 901, "date": now, "chat": "not a chat", "text": "?"}},
        {"message": {"message_id": 902, "chat": chat, "text": "no date"}},
        {"message": {"message_id": 906, "date": now, "text": "no chat"}},
        {"message": [1, 2, 3]},
    ]
    ids = [tg.push_raw_update(update) for update in unparseable]
    # Odd but parseable: no text and no sender, an unknown field; then a question with no
    # sender (as from a channel), answered in the default language.
    tg.push_raw_update({"message": {"message_id": 903, "date": now, "chat": chat}})
    tg.push_raw_update(
        {"message": {"message_id": 904, "date": now, "chat": chat, "new_kind": {"x": [1]}}}
    )
    anonymous = {"message_id": 905, "date": now, "chat": chat, "text": TREATY}
    tg.push_raw_update({"message": anonymous})
    answer = await tg.wait_for("sendMessage", 1)
    assert answer[0]["reply_parameters"]["message_id"] == 905
    # The bot goes on serving, and the poll's offset moved past every one of them.
    await reply(tg, tg.text_update(ORBIT))
    while tg.pending_updates:
        await tg.wait_for("getUpdates", len(tg.calls("getUpdates")) + 1)
    await settle(tg)
    assert len(tg.sent()) == 2
    for update_id in ids:
        assert f"skipped update {update_id}, which cannot be parsed" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_query_answers_that_got_through_are_not_failed_by_their_retry() -> None:
    limiter = RetryingRateLimiter(first_delay=0.01)
    attempts: list[str] = []

    async def answer_query(*args: Any, **kwargs: Any) -> bool:
        attempts.append("call")
        if len(attempts) == 1:  # the first attempt reached Telegram, its answer was lost
            raise NetworkError("httpx.RemoteProtocolError: Server disconnected")
        raise BadRequest("Query is too old and response timeout expired or query id is invalid")

    request = (answer_query, (), {})
    assert await limiter.process_request(*request, "answerCallbackQuery", {}, None) is True
    attempts.clear()
    with pytest.raises(BadRequest):  # a message is no query: its BadRequest stands
        await limiter.process_request(*request, "sendMessage", {}, None)


async def test_chat_actions_give_way_while_replies_queue_up() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=2)
    release = asyncio.Event()
    sent: list[str] = []

    async def post(endpoint: str, data: Json) -> bool:
        sent.append(endpoint)
        if endpoint == "sendMessage":
            await release.wait()
        return True

    def call(endpoint: str) -> Any:
        args = (endpoint, {"chat_id": 1})
        return limiter.process_request(post, args, {}, endpoint, {"chat_id": 1}, None)

    assert await call("sendChatAction") is True and sent == ["sendChatAction"]
    busy = [asyncio.create_task(call("sendMessage")) for _ in range(2)]
    await asyncio.sleep(0.05)
    assert await call("sendChatAction") is True  # skipped: two replies in flight
    release.set()
    await asyncio.gather(*busy)
    assert sent == ["sendChatAction", "sendMessage", "sendMessage"]


# ---- load --------------------------------------------------------------------------------


def answerable_questions(service: AnswerService) -> list[tuple[str, str]]:
    """(question, top-1 paragraph id) for each question the service answers, of the
    corpus's sentences and pairs of sentences asked back (answered on any model)."""
    questions = []
    for paragraph in service.snapshot.corpus.paragraphs:
        parts = sentences(paragraph.text)
        questions += [*parts, *(" ".join(parts[i : i + 2]) for i in range(len(parts) - 1))]
    answers = service.answer(questions)
    return [(a.query, a.best.paragraph.id) for a in answers if a.answered and a.best]


@pytest.fixture
def encoder_threads_as_served() -> Iterator[int]:
    """torch's thread count as `serve` sets it, for this test only."""
    import torch

    before = torch.get_num_threads()
    try:
        yield limit_threads()
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow  # a thousand messages through the fake Bot API: half a minute, any model
async def test_200_chats_asking_5_questions_each_get_1000_right_replies(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, encoder_threads_as_served: int
) -> None:
    pool = answerable_questions(service)
    assert len(pool) >= 40 and len({paragraph for _, paragraph in pool}) >= 8
    chats, per_chat = 200, 5
    asked: list[tuple[Json, str]] = []
    for round_ in range(per_chat):  # each chat's questions interleave with the others'
        for chat in range(chats):
            question, expected = pool[(chat * per_chat + round_) % len(pool)]
            asked.append((tg.text_update(question, user_id=50_000 + chat), expected))
    started = time.monotonic()
    for update, _ in asked:
        tg.push_update(update)
    await tg.wait_for("sendMessage", len(asked), timeout=120)
    elapsed = time.monotonic() - started
    await settle(tg, 0.5)

    assert len(calls(tg, "sendMessage")) == len(asked) == 1000
    assert {c.status for c in calls(tg, "sendMessage")} == {200}
    replies: dict[tuple[int, int], list[Json]] = {}
    for sent in tg.sent():
        replies.setdefault((sent["chat"]["id"], sent["reply_to_message"]["message_id"]), [])
        replies[(sent["chat"]["id"], sent["reply_to_message"]["message_id"])].append(sent)
    for update, expected in asked:
        message = update["message"]
        (answer,) = replies[(message["chat"]["id"], message["message_id"])]
        paragraph = service.snapshot.corpus.paragraph(expected)
        assert paragraph is not None
        # The reply quotes the expected paragraph (an excerpt of it) and names it.
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", paragraph.text) if len(s) > 30]
        assert any(s in answer["text"] for s in sentences), (message["text"], expected)
        assert f"({expected})" in answer["text"]
    threads = encoder_threads_as_served
    print(f"\n1000 questions from 200 chats answered in {elapsed:.1f} s ({threads} thread(s))")
    # Telegram's flood limit, 30 messages a second, makes 1000 replies take 33 s at least;
    # "typing…" through the same limit would double that.
    assert elapsed < 60


# ---- hot reload --------------------------------------------------------------------------

ANTARCTICA = "Наши учёные участвуют в полярных экспедициях партнёров"  # quotes the new answer
NEW_TEXT = "полярных экспедициях партнёров"
NEW_ANSWER = (  # the seed file ends without a newline
    "\nВопрос\tКакие планы у Казахстана в Антарктиде?\n"
    "Ответ\tКазахстан пока не ведёт своих исследований в Антарктиде. Наши учёные участвуют "
    "в полярных экспедициях партнёров и работают на их антарктических станциях.\n"
)


def add_topic(sidecar: Path, topic: str) -> None:
    """Give a question added to a transcript its label in the sidecar, as its editor must."""
    text = sidecar.read_text(encoding="utf-8")
    sidecar.write_text(text.replace('"]', f'", "{topic}"]'), encoding="utf-8")


@pytest.fixture
def live_settings(tmp_path: Path, built_settings: Settings) -> Settings:
    """Settings on a copy of the seed corpus and its built index, for a test to change."""
    copy_seed_corpus(tmp_path / "corpus")
    shutil.copytree(built_settings.index.dir, tmp_path / "index", symlinks=True)
    return load_settings(write_config(tmp_path, built_settings), env={})


class SlowReload:
    """The service's real reload, after `delay` seconds in its worker thread (a rebuild
    taking long)."""

    def __init__(self, service: AnswerService) -> None:
        self.fresh = service._fresh_snapshot
        self.delay = 0.0

    def __call__(self) -> Snapshot:
        time.sleep(self.delay)
        return self.fresh()


async def admin_says(tg: FakeTelegram, command: str, replies: int = 2) -> list[str]:
    """Send an administrator's command; the texts of the `replies` messages it brings."""
    seen = len(tg.sent(ADMIN))
    before = len(calls(tg, "sendMessage"))
    tg.push_update(tg.text_update(command, user_id=ADMIN, language_code="en"))
    await tg.wait_for("sendMessage", before + replies, timeout=60)
    return [m["text"] for m in tg.sent(ADMIN)[seen:]]


async def test_reload_swaps_the_index_while_questions_keep_getting_answers(
    tg: FakeTelegram,
    live_settings: Settings,
    encoder: Encoder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = open_service(live_settings, encoder)
    old = live.snapshot
    reload = SlowReload(live)
    monkeypatch.setattr(live, "_fresh_snapshot", reload)
    corpus = live_settings.corpus.dir / "interview.txt"
    async with running_bot(live, talking_to(tg, admins=(ADMIN,))) as application:
        assert NEW_TEXT not in (await reply(tg, tg.text_update(ANTARCTICA)))["text"]
        with corpus.open("a", encoding="utf-8") as file:
            file.write(NEW_ANSWER)
        add_topic(corpus.with_suffix(".toml"), "Антарктида")

        # Questions asked while the index is rebuilt are all answered, before it is done.
        reload.delay = 1.5
        command = tg.text_update("/reload", user_id=ADMIN, language_code="en")
        tg.push_update(command)
        await tg.wait_for("sendMessage", 2)
        questions = [tg.text_update(q, user_id=7000 + n) for n, q in enumerate([TREATY, ORBIT] * 5)]
        for question in questions:
            tg.push_update(question)
        await tg.wait_for("sendMessage", 2 + len(questions) + 1, timeout=30)
        acknowledged, done = [m["text"] for m in tg.sent(ADMIN)]
        assert acknowledged == ENGLISH.reloading
        assert done == ENGLISH.reloaded.format(
            paragraphs=12, built_at=live.snapshot.manifest.built_at
        )
        finished = [c.time for c in calls(tg, "sendMessage") if c.params["chat_id"] == ADMIN][-1]
        asking = {q["message"]["chat"]["id"] for q in questions}
        answered = [c.time for c in calls(tg, "sendMessage") if c.params["chat_id"] in asking]
        assert len(answered) == len(questions) and max(answered) < finished
        for question in questions:
            (answer,) = replies_to(tg, question)
            (before,) = old.ranker.rank(
                [question["message"]["text"]],
                encoder.question_passes([question["message"]["text"]]),
                1,
            )
            assert before.best is not None and before.best.paragraph.text in answer["text"]
        assert live.snapshot is not old

        # The new paragraph is served.
        reload.delay = 0
        assert NEW_TEXT in (await reply(tg, tg.text_update(ANTARCTICA)))["text"]

        # A corpus made invalid: the administrator gets the one-line error, the index stays.
        text = corpus.read_text(encoding="utf-8")
        corpus.write_text(text + "not a labelled line\n", encoding="utf-8")
        _, failed = await admin_says(tg, "/reload")
        assert failed.startswith(ENGLISH.reload_failed.format(error=f"{corpus}:"))
        assert "\n" not in failed
        assert NEW_TEXT in (await reply(tg, tg.text_update(ANTARCTICA)))["text"]

        # A damaged index: the reload finds the damage and builds it afresh.
        corpus.write_text(text, encoding="utf-8")
        build = (live_settings.index.dir / "current").resolve()
        (build / "records.json").write_text("{", encoding="utf-8")
        _, rebuilt = await admin_says(tg, "/reload")
        assert rebuilt.startswith("Index reloaded: 12 paragraphs")
        assert live.snapshot.build_id != build.name
        assert NEW_TEXT in (await reply(tg, tg.text_update(ANTARCTICA)))["text"]

        # Only administrators may reload or see the counters.
        for command_text in ("/reload", "/stats"):
            refused = await reply(tg, tg.text_update(command_text, language_code="en"))
            assert refused["text"] == ENGLISH.not_allowed
        (stats,) = await admin_says(tg, "/stats", replies=1)
    await live.close()
    decisions = live.stats.decisions
    assert (sum(decisions.values()), shared_of(application).stats.limited) == (14, 0)
    manifest = live.snapshot.manifest
    assert stats.startswith("Up for 0:00:")
    assert stats.endswith(
        f"Questions: answered {decisions[Decision.ANSWERED]}, "
        f"uncertain {decisions[Decision.UNCERTAIN]}, "
        f"not covered {decisions[Decision.NOT_COVERED]}, over the rate limit 0\n"
        f"Index: 12 paragraphs, built {manifest.built_at} in {manifest.build_seconds} s\n"
        "Index reloads: 2, failed: 1\n"
        "Question log: off; written 0, dropped 0, failed 0, queued 0"
    )


# ---- abuse -------------------------------------------------------------------------------


def test_rate_limit_is_a_sliding_window_that_warns_once_saying_how_long_to_wait() -> None:
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    verdicts = []
    for t in (0, 1, 2, 3, 59.9, 60.5, 61, 61.5):
        now[0] = t
        verdicts.append(limit.check("user"))
    A, W, D = Admission.ALLOW, Admission.WARN, Admission.DROP
    # At 60.5 the answer at 0 left the window; at 61 the one at 1 did: room for one each.
    # Refused, the user hears when the oldest admitted update leaves the window.
    assert verdicts == [
        (A, 0),
        (A, 0),
        (W, pytest.approx(58)),
        (D, pytest.approx(57)),
        (D, pytest.approx(0.1)),
        (A, 0),
        (A, 0),
        (W, pytest.approx(59)),
    ]
    assert limit.check("someone else") == (A, 0)
    now[0] = 200  # users idle for a window are forgotten
    limit.check("newcomer")
    assert len(limit) == 1
    assert all(RateLimit(0).check("u") == (A, 0) for _ in range(1000))  # 0: no limit


def waiting(template: str, text: str, limit: int) -> int:
    """The seconds a slow-down notice made from `template` tells the user to wait."""
    pattern = re.escape(template.format(limit=limit, seconds="<s>")).replace("<s>", r"(\d+)")
    found = re.fullmatch(pattern, text)
    assert found is not None, text
    return int(found[1])


async def test_users_over_the_rate_limit_are_told_once_when_to_ask_again_then_ignored(
    tg: FakeTelegram, built_settings: Settings, service: AnswerService
) -> None:
    async with running_bot(service, talking_to(tg, questions_per_minute=3)) as application:
        flood = [tg.text_update(q, language_code="en") for q in [TREATY, ORBIT] * 3]
        for update in flood:
            tg.push_update(update)
        await tg.wait_for("sendMessage", 4)
        other = await reply(tg, tg.text_update(ORBIT, user_id=2002))  # others are not held up
        inline = tg.inline_update(TREATY, language_code="en")
        tg.push_update(inline)
        (results,) = await tg.wait_for("answerInlineQuery")
        replies = sorted(len(replies_to(tg, u)) for u in flood)
        # Buttons are counted apart: the user over the question limit may still press them.
        answer = next(m for m in tg.sent(1001) if "reply_markup" in m)
        listing = await press(tg, buttons(answer)[0][1], answer)
        await settle(tg)
    texts = [m["text"] for m in tg.sent(1001)]
    (notice,) = [t for t in texts if t.startswith("Too many questions")]
    assert 55 <= waiting(ENGLISH.slow_down, notice, 3) <= 60
    assert replies == [0, 0, 0, 1, 1, 1]  # three answers and the notice
    assert other["chat"]["id"] == 2002 and "Казахстан" in other["text"]
    assert results["results"] == [] and results["button"]["text"] == ENGLISH.slow_down_button
    assert listing["text"].startswith("Другие ответы")
    assert shared_of(application).stats.limited == 4
    # Nothing about users is kept but the rate limit's times: PTB's per-user and per-chat
    # stores stay empty.
    assert not application.user_data and not application.chat_data
    assert list(application.bot_data) == ["interview_bot"]


async def test_button_presses_have_their_own_limit_which_leaves_questions_alone(
    tg: FakeTelegram, service: AnswerService
) -> None:
    async with running_bot(service, talking_to(tg, presses_per_minute=2)):
        answer = await reply(tg, tg.text_update(TREATY))
        cite = buttons(answer)[-1][1]
        for _ in range(2):
            await press(tg, cite, answer)
        refused = await toast(tg, cite, answer)
        # Pressing five times more: each gets the same toast, no message.
        sent = len(tg.sent())
        toasts = [await toast(tg, cite, answer) for _ in range(5)]
        await settle(tg)
        assert len(tg.sent()) == sent
        still = await reply(tg, tg.text_update(ORBIT))
    assert refused is not None and 55 <= waiting(RUSSIAN.slow_down_presses, refused, 2) <= 60
    assert all(t is not None and t.startswith("Слишком много нажатий") for t in toasts)
    assert len(refused) <= 200  # Telegram's limit for a callback answer
    assert "Казахстан" in still["text"]


async def test_chats_outside_the_allowlist_are_told_once_and_get_no_answers(
    tg: FakeTelegram, built_settings: Settings, service: AnswerService
) -> None:
    config = talking_to(tg, allowed_chats=(1001,), admins=(ADMIN,))
    async with running_bot(service, config):
        allowed = await reply(tg, tg.text_update(TREATY))
        for question in (ORBIT, TREATY, "/start"):
            tg.push_update(tg.text_update(question, user_id=3003, language_code="en"))
        group = {"chat_type": "supergroup", "user_id": 1001}
        tg.push_update(tg.text_update("talk among members", **group))
        tg.push_update(tg.text_update(ORBIT, reply_to_bot=True, **group))
        tg.push_update(tg.inline_update(TREATY, user_id=3003))
        (inline,) = await tg.wait_for("answerInlineQuery")
        await tg.wait_for("sendMessage", 3)
        (stats,) = await admin_says(tg, "/stats", replies=1)  # administrators pass anywhere
        await settle(tg)
    assert "Идеальным было бы его подписание" in allowed["text"]
    assert [m["text"] for m in tg.sent(3003)] == [ENGLISH.private_bot]
    assert [m["text"] for m in tg.sent(-1001234567890)] == [RUSSIAN.private_bot]
    assert inline["results"] == [] and "button" not in inline
    assert stats.startswith("Up for")
    assert len(calls(tg, "sendMessage")) == 4


# ---- secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "semi;colon"])
def test_a_webhook_needs_a_secret_telegram_accepts(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        Webhook("https://bot.example.com/hook", secret, "127.0.0.1", 8443)


@contextlib.contextmanager
def no_redaction_leak() -> Iterator[None]:
    """Undo install_redaction() for tests that call it."""
    previous = logging.getLogRecordFactory()
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)


def test_redaction_covers_handlers_added_later_and_exceptions_holding_the_token() -> None:
    token = "123:SECRET-token"
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("test_reliability.redaction")
    with no_redaction_leak():
        install_redaction([token])
        logger.addHandler(handler)
        try:
            try:
                raise RuntimeError(f"POST https://api.telegram.org/bot{token}/getMe failed")
            except RuntimeError:
                logger.exception("call to %s failed", f"/bot{token.replace(':', '%3A')}/x")
        finally:
            logger.removeHandler(handler)
    (record,) = records
    assert token not in record.getMessage() and "SECRET" not in record.getMessage()
    assert record.exc_text is not None and "SECRET" not in record.exc_text
    assert REDACTED in record.exc_text and record.exc_info is None
    assert "SECRET" not in logging.Formatter().format(record)
