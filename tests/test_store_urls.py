"""A malformed question-log URL never prints its password: not in the one-line error every
command gives for it (from the environment or from config.toml), not in a traceback, not
in the store's name in log lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, write_config

from interview_bot.cli import cli
from questionlog.redaction import describe_error, redact_url, url_secrets
from service.settings import STORE_URL_ENV, Settings, SettingsError, load_settings, read_config

SECRET = "S3cretLEAK"

MALFORMED = {
    # No @: SQLAlchemy reads the password as the port, and its error quotes it.
    "password-as-port": (f"postgresql://bot:{SECRET}/interview", "is not a URL like"),
    "bad-port": (f"postgresql://bot:{SECRET}@db.example:notaport/q", "is not a URL like"),
    "port-out-of-range": (f"postgresql://bot:{SECRET}@db.example:99999/q", "port out of range"),
    "bad-scheme": (f"mysql://bot:{SECRET}@db.example/q", "must be a postgresql:// URL, not mysql"),
    "other-driver": (
        f"postgresql+psycopg2://bot:{SECRET}@db.example/q",
        "must be a postgresql:// URL, not postgresql+psycopg2",
    ),
    "no-scheme": (f"bot:{SECRET}@db.example/q", "is not a URL like"),
    "one-slash": (f"postgresql:/bot:{SECRET}@db.example/q", "is not a URL like"),
    "unescaped-at": (f"postgresql://bot:{SECRET}@x@db.example/q", "write it as %40"),
    "broken-ipv6": (f"postgresql://bot:{SECRET}@[::1/q", "is not a URL like"),
    "only-the-password": (SECRET, "is not a URL like"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_url_is_one_line_without_its_password(
    case: str, tmp_path: Path, built_settings: Settings
) -> None:
    url, message = MALFORMED[case]
    config = write_config(tmp_path, built_settings)
    with pytest.raises(SettingsError) as from_env:
        load_settings(config, env={STORE_URL_ENV: url})
    assert str(from_env.value).startswith(f"{STORE_URL_ENV}: ")
    in_file = tmp_path / "in-file"
    in_file.mkdir()
    with pytest.raises(SettingsError) as from_file:
        load_settings(write_config(in_file, built_settings, store={"url": url}), env={})
    assert str(from_file.value).startswith(f"{in_file / 'config.toml'}: store.url ")
    for error in (from_env.value, from_file.value):
        assert message in str(error)
        assert SECRET not in str(error) and "\n" not in str(error)

    result = CliRunner().invoke(
        cli, ["--config", str(config), "ask", "Когда?"], env={STORE_URL_ENV: url}
    )
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {STORE_URL_ENV}: ") and SECRET not in line


@pytest.mark.slow  # the console script as a process of its own
def test_the_server_refuses_it_in_one_line_before_anything_starts(
    built_settings: Settings, tmp_path: Path
) -> None:
    config = write_config(tmp_path, built_settings)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("interview-bot")), "web", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "INTERVIEW_BOT_CONFIG": str(config),
            STORE_URL_ENV: f"postgresql://bot:{SECRET}/interview",
        },
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {STORE_URL_ENV}: is not a URL like postgresql://user:password@host/db"
    ]
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://bot:{SECRET}/interview",
        f"postgresql://bot:{SECRET}@x@db/q",
        f"postgresql://bot@db/q?password={SECRET}",
        f"postgresql://bot:{SECRET}@db:notaport/q",
        SECRET,
    ],
)
def test_every_form_of_the_password_is_redacted(url: str) -> None:
    assert any(SECRET in secret for secret in url_secrets(url))
    assert SECRET not in redact_url(url)
    error = ValueError(f"invalid literal for int() with base 10: '{SECRET}' in {url}")
    assert SECRET not in describe_error(error, url)


def test_a_config_file_url_is_checked_like_the_environments(
    tmp_path: Path, built_settings: Settings
) -> None:
    good = "postgresql://bot@db.example/interview_bot"
    settings = load_settings(write_config(tmp_path, built_settings, store={"url": good}), env={})
    assert settings.store.url == good
    table = read_config(write_config(tmp_path, built_settings)).table
    assert "url" not in table.get("store", {})
