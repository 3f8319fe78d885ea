"""`interview-bot serve --web`: the bot and the page in one process on one model, reloaded
together by SIGHUP, stopped cleanly by SIGINT; and the page's address refused at once
when it cannot be had."""

from __future__ import annotations

import shutil
import signal
import socket
from pathlib import Path

import httpx
from click.testing import CliRunner
from conftest import copy_seed_corpus, write_config
from test_bot import TREATY

from interview_bot.cli import cli
from service.settings import Settings, load_settings
from testkit.commands import running_command, serve_env
from testkit.fake_telegram import FakeTelegram

SPACE = "Байконур остаётся главной площадкой нашего сотрудничества с Россией в космосе."


def test_serve_with_web_answers_on_telegram_and_the_page_from_one_model(
    model_settings: Settings, tmp_path: Path
) -> None:
    # A corpus of its own (SIGHUP will see it change), with a copy of the session's index.
    copy_seed_corpus(tmp_path / "corpus")
    shutil.copytree(model_settings.index.dir, tmp_path / "index", symlinks=True)
    settings = load_settings(write_config(tmp_path), env={})
    with FakeTelegram() as tg:
        env = serve_env(settings, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_BASE_URL=tg.base_url)
        with running_command(["-v", "serve", "--web", "--web-port", "0"], env) as served:
            line = served.wait_for("The search page is at http://127.0.0.1:")
            base = line.split(" is at ", 1)[1].split()[0]
            served.wait_for(" ready in ")
            tg.push_update(tg.text_update(TREATY))
            with httpx.Client(base_url=base, timeout=30) as client:
                page = client.get("/api/search", params={"q": TREATY})
                tg.wait_for_sync("sendMessage", timeout=30)
                # Both questions went through one service: one model, one index, one count.
                before = client.get("/api/health").json()
                (tmp_path / "corpus" / "space.txt").write_text(
                    f"Вопрос\tЧто с сотрудничеством в космосе?\nОтвет\t{SPACE}\n", encoding="utf-8"
                )
                served.process.send_signal(signal.SIGHUP)
                served.wait_for("index reloaded: 12 paragraphs")
                after = client.get("/api/health").json()
                space = client.get("/api/search", params={"q": "космодром Байконур"}).json()
            returncode = served.stop()
    stderr = served.stderr
    assert returncode == 0, stderr
    assert page.status_code == 200 and page.json()["decision"] == "answered"
    assert "Идеальным было бы его подписание" in tg.sent()[0]["text"]
    assert before["decisions"] == {"answered": 2}
    assert (before["paragraphs"], after["paragraphs"], after["reloads"]) == (11, 12, 1)
    assert after["index"]["build"] != before["index"]["build"]
    assert space["hits"][0]["paragraph"]["id"] == "space/1.1"
    assert "Traceback" not in stderr


def test_the_page_port_is_refused_before_the_model_loads(built_settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runner = CliRunner()
        config = ["--config", str(built_settings.path)]
        web = runner.invoke(cli, [*config, "web", "--port", str(port)])
        serve = runner.invoke(
            cli,
            [*config, "serve", "--web", "--web-port", str(port)],
            env={"TELEGRAM_BOT_TOKEN": "1:x"},
        )
    for result in (web, serve):
        assert result.exit_code == 1, result.output
        assert f"error: cannot listen on 127.0.0.1:{port}: address already in use" in result.output
        assert "Loading the model" not in result.output


def test_the_question_log_password_never_reaches_the_log(
    model_settings: Settings, tmp_path: Path
) -> None:
    # A PostgreSQL log that is down: every write fails and is reported, never with the
    # password of the URL the environment gave.
    password = "pw-9c1e4b7d"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = serve_env(
        model_settings,
        INTERVIEW_BOT_STORE_URL=f"postgresql://bot:{password}@127.0.0.1:{closed}/questions",
    )
    with running_command(["-v", "web", "--port", "0"], env) as served:
        line = served.wait_for("The search page is at http://127.0.0.1:")
        base = line.split(" is at ", 1)[1].split()[0]
        served.wait_for(" ready in ")
        with httpx.Client(base_url=base, timeout=30) as client:
            answered = client.get("/api/search", params={"q": TREATY})
        served.wait_for("question log")
        returncode = served.stop()
    stderr = served.stderr
    assert answered.status_code == 200  # the log being down costs the user nothing
    assert returncode == 0, stderr
    assert f"127.0.0.1:{closed}" in stderr  # the failure is reported, with where
    assert password not in stderr
