"""Running `interview-bot` as a process of its own, as systemd or a terminal would, and
reading what it says on stderr while it runs."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# The console script with the fake encoder registered, as the test session has it, for
# processes on a config that names it (testkit/fake_encoder.py).
FAKE_CLI = (
    "from testkit import fake_encoder; fake_encoder.register(); "
    "from interview_bot.cli import cli; cli(prog_name='interview-bot')"
)


def serve_env(settings: Settings, **env: str) -> dict[str, str]:
    """The environment of a server on `settings`, with no Telegram variable but `env`'s."""
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


@contextlib.contextmanager
def running_command(
    args: list[str], env: dict[str, str], *, fake_encoder: bool = False
) -> Iterator[Served]:
    """`interview-bot ARGS` in a process of its own, its stderr lines gathered on a thread
    (a full pipe would block it); killed if it outlives the block. With `fake_encoder`,
    the same command with the fake encoder registered (FAKE_CLI)."""
    if fake_encoder:
        command = [sys.executable, "-c", FAKE_CLI]
        env = {**env, "PYTHONPATH": str(ROOT)}
    else:
        script = Path(sys.executable).with_name("interview-bot")
        assert script.exists(), "the console script: pip install -e ."
        command = [str(script)]
    process = subprocess.Popen([*command, *args], env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    stderr = process.stderr
    assert stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stderr.readline, "")))
    reader.start()
    try:
        yield Served(process, lines)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(timeout=10)


@dataclasses.dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    lines: list[str]  # stderr so far

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str) -> str:
        """The first stderr line containing `text`, waiting for it up to 30 s."""
        return wait_for_line(self.lines, text, self.process)

    def stop(self) -> int:
        """SIGINT, as Ctrl-C or systemd's stop; the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)
