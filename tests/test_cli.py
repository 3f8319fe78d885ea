"""The command line: `index`, `ask` (human and JSON), config lookup, and clean errors."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_config

from interview_bot.cli import cli
from retrieval.corpus import load_corpus
from testkit.commands import running_command


@pytest.fixture
def run(built_settings):
    """Invoke the CLI against the session's built index."""

    def invoke(*args: str, input: str | None = None, config: Path | None = None):
        runner = CliRunner()
        return runner.invoke(
            cli, ["--config", str(config or built_settings.path), *args], input=input
        )

    return invoke


def test_ask_json_gives_one_object_a_line_in_the_documented_shape(run, built_settings):
    long = "слово " * built_settings.search.max_query_chars
    questions = ["Когда подпишут договор с Россией?", long, "What about Chinese investment?"]
    # Blank lines between questions are gaps, not questions.
    result = run("ask", "--json", "--top-k", "3", input="\n\n".join(questions) + "\n  \n")
    assert result.exit_code == 2, result.output  # one question was refused
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == questions
    assert set(lines[1]) == {"query", "error"} and "longer than" in lines[1]["error"]
    assert "error: question longer than" in result.stderr
    for line in (lines[0], lines[2]):
        assert set(line) == {
            "query",
            "decision",
            "answered",
            "confidence",
            "uncovered_terms",
            "reason",
            "hits",
            "sources",
            "statements",
        }
        assert line["statements"] == []  # one interview: no earlier statements
        assert line["decision"] in ("answered", "uncertain", "not_covered")
        assert line["answered"] == (line["decision"] == "answered")
        assert 0.0 <= line["confidence"] <= 1.0
        hits = line["hits"]
        assert [h["rank"] for h in hits] == [1, 2, 3]
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        for hit in hits:
            assert set(hit) == {
                "rank",
                "score",
                "similarity",
                "paragraph",
                "highlight",
                "label",
                "document",
                "permalink",
            }
            paragraph, document = hit["paragraph"], hit["document"]
            assert hit["highlight"] in paragraph["text"]
            assert document["id"] == paragraph["document_id"] == "interview"
            assert paragraph["id"].startswith("interview/")
            assert hit["permalink"] == f"/p/{paragraph['id']}"  # no [web] public_url here
            assert isinstance(hit["score"], float) and isinstance(paragraph["text"], str)
            assert paragraph["section"] is None or isinstance(paragraph["section"], str)
            assert "path" not in document and "line" not in paragraph


def test_ask_json_finds_a_paragraph_by_its_own_sentence(run):
    result = run("ask", "--json", "Следующий форум планируется провести в Астрахани")
    line = json.loads(result.output)
    assert line["hits"][0]["paragraph"]["id"] == "interview/2.2"
    assert line["hits"][0]["highlight"] == "Следующий форум планируется провести в Астрахани."
    assert line["answered"] is True


def test_ask_json_over_long_question_is_an_error_line(run, built_settings):
    long_question = "слово " * built_settings.search.max_query_chars
    result = run("ask", "--json", input=long_question + "\n")
    assert result.exit_code == 2
    assert "longer than" in json.loads(result.stdout)["error"]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("question", ["", "   ", "слово " * 200])
def test_a_refused_question_exits_2_before_the_model_or_index_loads(config_file, question, as_json):
    # config_file has no index: loading anything would fail with exit 1 and "no index".
    args = ["--config", str(config_file), "ask", *(["--json"] if as_json else []), question]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "no index" not in result.output
    assert result.stderr.startswith("error: ") and "question" in result.stderr
    if as_json:
        (line,) = result.stdout.splitlines()
        assert set(json.loads(line)) == {"query", "error"}
    else:
        assert result.stdout == ""


def test_ask_human_output_shows_paragraph_question_and_score(run):
    result = run("ask", "Следующий", "форум", "планируется", "провести", "в", "Астрахани")
    assert result.exit_code == 0, result.output
    assert "Q: Астана и Москва готовят к подписанию" in result.output
    assert "Астрахани" in result.output
    assert "(interview/2.2, similarity 0." in result.output


def test_ask_with_nothing_to_read_says_how_to_use_it(config_file):
    # A terminal on stdin and no question: the usage, at once, not a silent wait.
    script = Path(sys.executable).with_name("interview-bot")
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [str(script), "--config", str(config_file), "ask"],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2
    assert "Usage: interview-bot ask" in done.stderr
    assert "pipe questions in, one a line" in done.stderr


def test_chat_answers_each_line_until_quit(run, built_settings, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    question = "Следующий форум планируется провести в Астрахани"
    result = run("chat", input=f"{question}\n\nhelp\n{question}\nquit\n{question}\n")
    assert result.exit_code == 0, result.output
    # The banner names what it knows, wrapped at words to the terminal's 40 columns.
    banner, _ = result.stdout.split("/help for help", 1)
    (document,) = load_corpus(built_settings.corpus.dir).documents
    assert banner.split() == f"Ask about: {document.name}".split()
    assert max(len(line) for line in banner.splitlines()) <= 40
    assert result.stdout.count("Q: ") == 2  # the line after /quit is not read
    assert "/quit  leave" in result.stdout  # what /help printed
    assert "Астрахани" in result.stdout


def test_chat_answers_an_unknown_command_with_its_help(run):
    result = run("chat", input="/foo\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "There is no command /foo." in result.stdout
    assert "/quit  leave" in result.stdout and "Q: " not in result.stdout


def test_index_then_if_stale_is_a_no_op(config_file):
    runner = CliRunner()
    built = runner.invoke(cli, ["--config", str(config_file), "index"])
    assert built.exit_code == 0, built.output
    assert "indexed 11 paragraphs" in built.output
    again = runner.invoke(cli, ["--config", str(config_file), "index", "--if-stale"])
    assert again.exit_code == 0 and "up to date" in again.output


def test_ask_without_an_index_says_how_to_build_one(config_file):
    result = CliRunner().invoke(cli, ["--config", str(config_file), "ask", "вопрос"])
    assert result.exit_code == 1
    assert "no index in" in result.output and "run `interview-bot index`" in result.output


@pytest.mark.parametrize(
    ("corpus_text", "expected"),
    [
        ("Ответ\tбез вопроса", "interview.txt:1: answer with no question before it"),
        ("Вопрос\tа ответ?\nКомментарий\tлишнее", "interview.txt:2: unknown label 'Комментарий'"),
        ("", "interview.txt: "),
    ],
)
def test_bad_corpus_is_one_line_naming_file_and_line(config_file, corpus_text, expected):
    (config_file.parent / "corpus" / "interview.txt").write_text(corpus_text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config_file), "index"])
    assert result.exit_code == 1
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_config_comes_from_flag_then_env_then_cwd(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    missing = runner.invoke(cli, ["index"])
    assert "config.toml: config file not found" in missing.output
    monkeypatch.setenv("INTERVIEW_BOT_CONFIG", str(tmp_path / "from-env.toml"))
    from_env = runner.invoke(cli, ["index"])
    assert "from-env.toml: config file not found" in from_env.output
    flag = runner.invoke(cli, ["--config", str(tmp_path / "flag.toml"), "index"])
    assert "flag.toml: config file not found" in flag.output


def test_installed_console_script_answers_json_without_traceback(model_settings, tmp_path):
    script = Path(sys.executable).with_name("interview-bot")
    assert script.exists(), "the console script is not installed in the venv"
    env = {**os.environ, "INTERVIEW_BOT_CONFIG": str(model_settings.path)}
    done = subprocess.run(
        [str(script), "ask", "--json"],
        input="Следующий форум планируется провести в Астрахани\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hits"][0]["paragraph"]["id"] == "interview/2.2"
    bad = write_config(tmp_path, search={"top_k": "five"})
    failed = subprocess.run(
        [str(script), "--config", str(bad), "ask", "x"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    assert "search.top_k must be int" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_run_without_a_token_serves_the_page(model_settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    with running_command(["--config", str(model_settings.path), "run"], env) as served:
        served.wait_for("TELEGRAM_BOT_TOKEN is not set: serving the search page")
        # Port 8000, or any free one when something else has it: the line says which.
        announced = served.wait_for("The search page is at ")
        base = announced.split(" is at ", 1)[1].split()[0]
        reply = httpx.get(
            base + "api/search",
            params={"q": "Следующий форум планируется провести в Астрахани"},
            timeout=60,
        )
        page = httpx.get(base, timeout=10)
        assert served.stop() == 0
    assert served.lines[0].startswith("TELEGRAM_BOT_TOKEN is not set: serving the search page")
    assert reply.json()["hits"][0]["paragraph"]["id"] == "interview/2.2"
    assert "<title>" in page.text


def test_serve_without_a_token_exits_2(run, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    result = run("serve")
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.output
