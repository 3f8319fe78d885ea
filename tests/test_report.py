"""The owner's side of the question log: `report` and `feedback export`, on questions asked
through the real service, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import running_bot, talking_to, write_config
from test_bot import reply

from bot.texts import ENGLISH
from interview_bot.cli import cli
from questionlog.recorder import QuestionLog
from questionlog.records import Question, QuestionWithFeedback
from questionlog.settings import StoreSettings
from service.answering import AnswerService
from service.decision import Decision
from service.encoder import Encoder
from service.evaluation import KINDS
from service.report import Downvoted, group_downvoted, group_questions
from service.settings import Settings
from service.snapshot import open_snapshot

pytest_plugins = ["testkit.postgres"]

QUESTIONS = [
    "Когда будет подписан договор с Россией?",
    "Сходит ли Казахстан с российской орбиты?",
    "Какова позиция Казахстана по вступлению в ВТО?",
    "Когда Казахстан вступит в ВТО?",
    "Как приготовить плов в казане?",
    "Кто выиграл Лигу чемпионов в прошлом сезоне?",
]


def cli_env(tmp_path: Path, built: Settings, store: StoreSettings) -> tuple[Path, dict[str, str]]:
    """A config on the session's index whose [store] is `store`: a PostgreSQL URL comes from
    the environment, as a deployment gives it; a SQLite file from the config."""
    sections = {"corpus": {"dir": str(built.corpus.dir)}, "index": {"dir": str(built.index.dir)}}
    if store.url is None:
        sections["store"] = {"path": str(store.path)}
    config = write_config(tmp_path, built, **sections)
    return config, ({"INTERVIEW_BOT_STORE_URL": store.url} if store.url else {})


@pytest.fixture
async def asked(built_settings, encoder, store_settings):
    """QUESTIONS asked through the bot's front end, the first answer voted 👎 with another
    paragraph preferred, the second 👍; the replies, once everything is written."""
    settings = dataclasses.replace(built_settings, store=store_settings)
    service = AnswerService(
        settings, encoder, open_snapshot(settings), QuestionLog.open(store_settings)
    )
    replies = [await service.ask(q, front_end="bot", language="ru") for q in QUESTIONS]
    first, second = replies[0], replies[1]
    assert first.record_id and second.record_id
    assert service.vote(first.record_id, "down")
    preferred = next(h for h in first.hits if h.rank > 1).paragraph.id
    assert service.prefer(first.record_id, preferred)
    assert service.vote(second.record_id, "up")
    await service.close()  # writes what is queued
    return replies, preferred


def test_report_counts_groups_and_lists_the_disliked_answer(
    asked, tmp_path, built_settings, store_settings
):
    replies, preferred = asked
    config, env = cli_env(tmp_path, built_settings, store_settings)
    result = CliRunner().invoke(cli, ["--config", str(config), "report", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    by_decision = Counter()
    for day in report["days"]:
        assert day["day"] == datetime.now(UTC).date().isoformat()
        by_decision[day["decision"]] += day["count"]
    assert by_decision == Counter(r.decision.value for r in replies)
    unanswered = [r.query for r in replies if r.decision is not Decision.ANSWERED]
    groups = report["unanswered"]
    assert sum(g["count"] for g in groups) == len(unanswered)
    assert sorted(e for g in groups for e in g["examples"]) == sorted(unanswered)
    assert [g["count"] for g in groups] == sorted((g["count"] for g in groups), reverse=True)
    (disliked,) = report["downvoted"]
    assert disliked == {
        "text": QUESTIONS[0],
        "shown": replies[0].hits[0].paragraph.id,
        "count": 1,
        "preferred": [preferred],
    }
    assert report["votes"] == {"up": 1, "down": 1} and report["up_share"] == 0.5

    text = CliRunner().invoke(cli, ["--config", str(config), "report"], env=env)
    assert text.exit_code == 0, text.output
    assert f"Questions since {report['since']}: {len(QUESTIONS)}" in text.stdout
    shown = replies[0].hits[0].paragraph.id
    assert f"   1×  «{QUESTIONS[0]}»: shown {shown}, preferred {preferred}" in text.stdout
    assert "👍 1, 👎 1: 50% 👍" in text.stdout


def test_exported_questions_are_skipped_by_eval_until_reviewed(
    asked, tmp_path, built_settings, store_settings
):
    replies, preferred = asked
    config, env = cli_env(tmp_path, built_settings, store_settings)
    out = tmp_path / "feedback.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--config", str(config), "feedback", "export", "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    not_covered = [r.query for r in replies if r.decision is Decision.NOT_COVERED]
    assert sorted(line["question"] for line in lines) == sorted([QUESTIONS[0], *not_covered])
    assert all(line["reviewed"] is False and line["language"] == "ru" for line in lines)
    (labelled,) = [line for line in lines if line["expected"] is not None]
    assert labelled["question"] == QUESTIONS[0] and labelled["expected"] == [preferred]

    unreviewed = runner.invoke(cli, ["--config", str(config), "eval", "--set", str(out), "--json"])
    assert unreviewed.exit_code == 0, unreviewed.output
    # Nothing checked yet, nothing measured.
    assert json.loads(unreviewed.stdout) == {"scores": [], "reliability": []}

    out.write_text(
        "".join(json.dumps({**line, "reviewed": True}) + "\n" for line in lines), encoding="utf-8"
    )
    reviewed = runner.invoke(cli, ["--config", str(config), "eval", "--set", str(out), "--json"])
    assert reviewed.exit_code == 0, reviewed.output
    rows = json.loads(reviewed.stdout)["scores"]
    assert sum(row["questions"] for row in rows if row["group"] in KINDS) == len(lines)


def test_report_says_when_nothing_was_logged(tmp_path, built_settings):
    store = StoreSettings(path=tmp_path / "none" / "questions.sqlite3")
    config, env = cli_env(tmp_path, built_settings, store)
    result = CliRunner().invoke(cli, ["--config", str(config), "report"], env=env)
    assert result.exit_code == 1
    assert "no question log at" in result.output and "Traceback" not in result.output


def question(text: str, minute: int) -> Question:
    at = datetime(2026, 1, 1, 12, minute, tzinfo=UTC)
    return Question(f"id{minute:014d}", at, "bot", "ru", text, "not_covered", ())


def test_groups_are_biggest_first_with_distinct_recent_wordings():
    # A fake encoder: the first word decides the direction, so "wto …" questions meet.
    axes = {"wto": 0, "water": 1, "visa": 2}

    def embed(texts):
        vectors = np.zeros((len(texts), 3), np.float32)
        for row, text in enumerate(texts):
            vectors[row, axes[text.split()[0].lower()]] = 1.0
        return vectors

    asked = ["wto a", "water a", "WTO b", "wto a", "visa a", "wto c", "wto d", "water b"]
    groups = group_questions([question(t, m) for m, t in enumerate(asked)], embed)
    assert [g.count for g in groups] == [5, 2, 1]
    assert groups[0].examples == ("wto d", "wto c", "wto a")  # the newest, each wording once
    assert groups[1].examples == ("water b", "water a")
    assert group_questions([], embed) == []


def test_the_real_model_puts_rewordings_of_one_question_together(model_encoder: Encoder):
    asked = [
        "Какова позиция Казахстана по вступлению в ВТО?",
        "Когда Казахстан вступит в ВТО?",
        "Как приготовить плов в казане?",
    ]
    groups = group_questions(
        [question(t, m) for m, t in enumerate(asked)], model_encoder.question_vectors
    )
    assert [g.count for g in groups] == [2, 1]
    assert set(groups[0].examples) == set(asked[:2])


async def test_admins_get_a_short_report_in_telegram(tg, built_settings, encoder, tmp_path):
    store = StoreSettings(path=tmp_path / "questions.sqlite3")
    settings = dataclasses.replace(built_settings, store=store)
    service = AnswerService(settings, encoder, open_snapshot(settings), QuestionLog.open(store))
    admin = 4242
    async with running_bot(service, talking_to(tg, admins=(admin,))):
        for number, text in enumerate(QUESTIONS):
            tg.push_update(tg.text_update(text, user_id=100 + number))
        await tg.wait_for("sendMessage", len(QUESTIONS), timeout=30)
        await asyncio.to_thread(service.log.flush)
        refused = await reply(tg, tg.text_update("/report", language_code="en"))
        assert refused["text"] == ENGLISH.not_allowed
        summary = await reply(tg, tg.text_update("/report", user_id=admin, language_code="en"))
    await service.close()
    decisions = service.stats.decisions
    assert summary["text"].startswith(
        f"Last 7 days: {len(QUESTIONS)} questions — answered {decisions[Decision.ANSWERED]}, "
        f"uncertain {decisions[Decision.UNCERTAIN]}, "
        f"not covered {decisions[Decision.NOT_COVERED]}. 👍 0, 👎 0."
    )
    if decisions[Decision.ANSWERED] < len(QUESTIONS):
        assert ENGLISH.report_groups in summary["text"]
        assert "• " in summary["text"]


def test_the_same_question_marked_down_again_and_again_is_one_line_with_a_count() -> None:
    def marked(text: str, shown: str, preferred: str | None = None) -> QuestionWithFeedback:
        question = Question(
            id=text,
            at=datetime.now(UTC),
            front_end="bot",
            language="ru",
            text=text,
            decision=Decision.ANSWERED,
            hits=((shown, 1.0),),
        )
        return QuestionWithFeedback(question, "down", preferred)

    rows = [
        marked("Когда подпишут договор?", "interview/2.1", "interview/2.2"),
        marked("когда  подпишут ДОГОВОР?", "interview/2.1"),
        marked("Когда подпишут договор?", "interview/2.1", "interview/2.3"),
        marked("Когда подпишут договор?", "interview/2.1", "interview/2.3"),
        marked("Когда подпишут договор?", "interview/1.1"),  # another answer was shown
        marked("Что с ВТО?", "interview/3.1"),
    ]
    assert group_downvoted(rows) == [
        Downvoted(
            "Когда подпишут договор?", "interview/2.1", 4, ("interview/2.3", "interview/2.2")
        ),
        Downvoted("Когда подпишут договор?", "interview/1.1", 1, ()),
        Downvoted("Что с ВТО?", "interview/3.1", 1, ()),
    ]
