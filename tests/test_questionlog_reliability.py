"""The question log under trouble: a locked database and a full queue, a dead database, a
killed process, and 200 chats at once; each on SQLite and on a real PostgreSQL server.

What must hold: recording never waits for the database, what cannot be written is dropped
and counted, the warning about it comes at most once a minute, and what was acknowledged
as written is there after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from test_questionlog import HITS, FakeClock, all_rows

from questionlog.recorder import QuestionLog
from questionlog.redaction import url_password
from questionlog.settings import StoreSettings

pytest_plugins = ["testkit.postgres"]

# A record must never wait for the database; this is generous for a busy 2-core machine.
MAX_RECORD_S = 0.05
ROOT = Path(__file__).resolve().parent.parent


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("questionlog") and r.levelno == logging.WARNING
    ]


def timed(call: Callable[[], str | None]) -> tuple[str | None, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@contextlib.contextmanager
def write_lock(settings: StoreSettings) -> Iterator[None]:
    """Another client holding the lock the writer needs, as a long report or a migration
    might: SQLite's write lock, or an EXCLUSIVE lock on PostgreSQL's questions table."""
    if settings.url is None:
        sqlite = sqlite3.connect(settings.path, isolation_level=None)
        sqlite.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            sqlite.rollback()
            sqlite.close()
    else:
        with psycopg.connect(settings.url) as postgres:
            postgres.execute("LOCK TABLE questions IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                postgres.rollback()


def test_a_locked_database_fills_the_queue_and_drops_without_waiting(
    store_settings: StoreSettings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = dataclasses.replace(store_settings, queue_size=20)
    log = QuestionLog.open(settings, FakeClock())
    assert log.flush()  # the schema is made and the first purge done before the lock
    try:
        with write_lock(settings):
            first = log.record("bot", "waits for the lock", "answered", HITS)
            wait_until(lambda: log.stats().queued == 0)  # the writer has it, and waits
            results = [timed(lambda: log.record("bot", "q", "answered", HITS)) for _ in range(30)]
            ids = [record_id for record_id, _ in results]
            assert max(seconds for _, seconds in results) < MAX_RECORD_S
            assert ids[20:] == [None] * 10 and None not in ids[:20]
            stats = log.stats()
            assert (stats.written, stats.dropped, stats.queued) == (0, 10, 20)
            assert len(warnings_of(caplog)) == 1
            assert "queue full (20)" in warnings_of(caplog)[0]
        assert log.flush()
        stats = log.stats()
        assert (stats.written, stats.dropped, stats.failed) == (21, 10, 0)
    finally:
        log.close()
    assert set(all_rows(settings)) == {first, *ids[:20]}


def test_a_dead_database_never_blocks_recording(
    dead_store_settings: StoreSettings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    log = QuestionLog.open(dead_store_settings, clock)  # starts: the bot must answer regardless
    try:
        results = [
            timed(lambda: log.record("bot", "the user's own words", "answered", HITS))
            for _ in range(200)
        ]
        assert max(seconds for _, seconds in results) < MAX_RECORD_S
        # No id for a record that cannot be written: no feedback button, no X-Record-Id.
        assert {record_id for record_id, _ in results} == {None}
        assert not log.vote("A" * 16, "up")
        assert log.flush()
        stats = log.stats()
        assert (stats.written, stats.failed, stats.dropped) == (0, 0, 201)
        assert stats.state == "failing"
        # The start-up warning, the failed purge and the drops: all in the same minute, so
        # one line.
        assert len(warnings_of(caplog)) == 1
        assert "unavailable" in warnings_of(caplog)[0]

        clock.advance(seconds=59)
        log.record("bot", "q", "answered", HITS)
        assert log.flush()
        assert len(warnings_of(caplog)) == 1
        clock.advance(seconds=1)
        log.record("bot", "q", "answered", HITS)
        assert log.flush()
        assert len(warnings_of(caplog)) == 2
        assert "dropping records" in warnings_of(caplog)[1]
        assert "dropped 203" in warnings_of(caplog)[1]
        assert "more warnings held back" in warnings_of(caplog)[1]
        assert log.stats().dropped == 203
    finally:
        assert log.close()
    password = url_password(dead_store_settings.url or "")
    assert password is None or password not in caplog.text
    assert "the user's own words" not in caplog.text


def test_writing_resumes_when_the_database_comes_back(
    store_backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    revive: Callable[[], object]
    if store_backend == "sqlite":
        blocker = tmp_path / "state"
        blocker.write_text("")  # a file where the database's folder should be
        settings = StoreSettings(path=blocker / "questions.sqlite3")
        revive = blocker.unlink
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.new_name()
        settings = StoreSettings(url=server.url(name))  # a database not created yet
        revive = functools.partial(server.create_database, name)
    with QuestionLog.open(settings, FakeClock(), retry_seconds=0.05) as log:
        assert log.record("bot", "lost", "answered", HITS) is None
        assert log.flush()
        stats = log.stats()
        assert (stats.written, stats.dropped, stats.state) == (0, 1, "failing")
        revive()
        wait_until(lambda: log.stats().state == "writing")
        kept = log.record("bot", "kept", "answered", HITS)
        assert kept is not None and log.flush()
        assert (log.stats().written, log.stats().dropped) == (1, 1)
    assert set(all_rows(settings)) == {kept}
    recovered = [w for w in warnings_of(caplog) if "writing again" in w]
    assert len(recovered) == 1
    assert recovered[0].startswith("question log: 1 records dropped while ")


_CHILD = """
import json, os, signal, sys
from pathlib import Path
from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings

options = json.loads(sys.argv[1])
settings = StoreSettings(url=options["url"], path=Path(options["path"]))
log = QuestionLog.open(settings)
ids = [log.record("bot", f"question {n}", "answered", [("interview/1.1", 0.9)]) for n in range(300)]
for record_id in ids[::3]:
    log.vote(record_id, "down")
assert log.flush()
print(json.dumps(ids), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit, no checkpoint
"""


def test_what_was_flushed_survives_a_killed_process(store_settings: StoreSettings) -> None:
    options = {"url": store_settings.url, "path": str(store_settings.path)}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    ids = json.loads(child.stdout)
    rows = all_rows(store_settings)
    assert set(rows) == set(ids)
    assert [rows[i]["vote"] for i in ids] == ["down", None, None] * 100


async def test_200_chats_asking_5_questions_each_and_voting(
    store_settings: StoreSettings,
) -> None:
    settings = dataclasses.replace(store_settings, queue_size=2000)  # all 2,000 items at once
    log = QuestionLog.open(settings)
    expected: dict[str, tuple[str, str]] = {}

    async def chat(number: int) -> None:
        for n in range(5):
            text = f"chat {number} question {n}"
            record_id = log.record("bot", text, "answered", HITS, language="ru")
            assert record_id
            await asyncio.sleep(0)  # the other chats' questions come in between
            vote = "up" if (number + n) % 3 else "down"
            assert log.vote(record_id, vote)
            expected[record_id] = (text, vote)

    try:
        await asyncio.gather(*(chat(number) for number in range(200)))
        assert await asyncio.to_thread(log.flush, 30.0)
        assert log.stats().dropped == log.stats().failed == 0
    finally:
        await asyncio.to_thread(log.close)
    rows = all_rows(settings)
    assert len(rows) == 1000
    assert {i: (row["text"], row["vote"]) for i, row in rows.items()} == expected


def test_close_writes_what_is_queued_and_refuses_what_comes_after(
    store_settings: StoreSettings,
) -> None:
    log = QuestionLog.open(store_settings)
    ids = [log.record("page", f"q{n}", "not_covered", []) for n in range(50)]
    assert log.close()
    assert log.record("page", "too late", "not_covered", []) is None
    assert not log.vote(str(ids[0]), "up")
    stats = log.stats()
    assert (stats.written, stats.dropped) == (50, 2)
    assert set(all_rows(store_settings)) == set(ids)
