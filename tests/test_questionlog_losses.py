"""Every record the question log loses is counted and said: its SQLite folder removed or its
file replaced while serving (noticed and opened afresh, nothing lost), its file made
read-only, PostgreSQL stopped and started again under load. While the log cannot write,
records are refused at once: no id is handed out for a record that will not be written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_questionlog import HITS, all_rows
from test_questionlog_reliability import wait_until, warnings_of

from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings
from testkit.postgres import PostgresServer

pytest_plugins = ["testkit.postgres"]

RETRY_S = 0.05


def recovery_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [w for w in warnings_of(caplog) if "writing again" in w]


def test_a_removed_sqlite_folder_is_made_again_and_nothing_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = StoreSettings(path=tmp_path / "state" / "questions.sqlite3")
    with QuestionLog.open(settings, retry_seconds=RETRY_S) as log:
        before = [log.record("bot", f"before {n}", "answered", HITS) for n in range(10)]
        assert log.flush()
        shutil.rmtree(tmp_path / "state")  # an operator cleaning up, or a tmpfiles.d rule
        after = [log.record("bot", f"after {n}", "answered", HITS) for n in range(300)]
        assert None not in after and log.flush()
        stats = log.stats()
    assert (stats.written, stats.dropped, stats.failed) == (310, 0, 0)
    # In the new file, where a reader finds them, not in the deleted one.
    assert set(all_rows(settings)) == set(after)
    assert not set(before) & set(all_rows(settings))
    assert any("questions.sqlite3 was deleted: opening a new one" in w for w in warnings_of(caplog))
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700


def test_a_replaced_sqlite_file_is_opened_afresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = StoreSettings(path=tmp_path / "questions.sqlite3")
    with QuestionLog.open(settings, retry_seconds=RETRY_S) as log:
        log.record("bot", "old", "answered", HITS)
        assert log.flush()
        # A restored backup moved into place: the same name, another file.
        backup = tmp_path / "backup.sqlite3"
        shutil.copyfile(settings.path, backup)
        os.replace(backup, settings.path)
        new = log.record("bot", "new", "answered", HITS)
        assert log.flush()
    assert new in all_rows(settings)
    assert any(
        "questions.sqlite3 was replaced: opening a new one" in w for w in warnings_of(caplog)
    )


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` made read-only for this process: by its mode, or, for root (whom modes do not
    stop), by the immutable attribute."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        try:
            yield
        finally:
            path.chmod(0o600)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a file read-only as root here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_file_costs_counted_records_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = StoreSettings(path=tmp_path / "questions.sqlite3")
    with QuestionLog.open(settings, retry_seconds=RETRY_S) as log:
        kept = log.record("bot", "kept", "answered", HITS)
        assert log.flush()
        with read_only(settings.path):
            accepted = log.record("bot", "lost in the first failed batch", "answered", HITS)
            assert accepted is not None and log.flush()
            assert log.stats().state == "failing"
            # From now on nothing gets an id: the API would send no X-Record-Id for them.
            refused = [log.record("bot", f"q{n}", "answered", HITS) for n in range(299)]
            assert refused == [None] * 299
            assert not log.vote(str(kept), "up")
            stats = log.stats()
            assert (stats.written, stats.failed, stats.dropped) == (1, 1, 300)
            outage = [w for w in warnings_of(caplog) if "cannot write to" in w]
            assert len(outage) == 1 and "is read-only" in outage[0]
        wait_until(lambda: log.stats().state == "writing")
        again = log.record("bot", "written again", "answered", HITS)
        assert again is not None and log.flush()
    assert set(all_rows(settings)) == {kept, again}
    (line,) = recovery_lines(caplog)
    assert line.startswith("question log: 301 records dropped while ")
    assert "written 1, dropped 300, failed 1" in line


def test_postgresql_stopped_and_started_under_load_loses_only_what_it_counts(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = postgres_server
    settings = StoreSettings(url=server.create_database(), queue_size=5000)
    asked: list[str | None] = []
    stop = threading.Event()

    def load() -> None:  # 200 records a second, as a busy bot makes them
        n = 0
        while not stop.is_set():
            asked.append(log.record("bot", f"question {n}", "answered", HITS))
            n += 1
            time.sleep(0.005)

    with QuestionLog.open(settings, retry_seconds=RETRY_S) as log:
        producer = threading.Thread(target=load)
        producer.start()
        try:
            time.sleep(0.5)
            server.stop()
            wait_until(lambda: log.stats().state == "failing", timeout=30)
            time.sleep(1.0)
            server.resume()
            wait_until(lambda: log.stats().state == "writing", timeout=30)
            time.sleep(0.5)
        finally:
            stop.set()
            producer.join()
        assert log.flush(30)
        stats = log.stats()
    rows = set(all_rows(settings))
    given = [record_id for record_id in asked if record_id is not None]
    assert rows <= set(given)
    # Each record is written, refused without an id, or accepted and then failed: counted.
    assert stats.written == len(rows)
    assert stats.dropped == asked.count(None) > 0
    assert stats.failed == len(given) - len(rows)
    (line,) = recovery_lines(caplog)
    assert line.startswith(f"question log: {stats.dropped + stats.failed} records dropped while ")


def test_the_outage_is_said_at_once_even_right_after_another_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = StoreSettings(path=tmp_path / "questions.sqlite3", queue_size=1)
    with QuestionLog.open(settings, retry_seconds=RETRY_S) as log:
        assert log.flush()
        lock = sqlite3.connect(settings.path, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the writer waits, the queue of one fills
        try:
            log.record("bot", "waits", "answered", HITS)
            wait_until(lambda: log.stats().queued == 0)
            log.record("bot", "queued", "answered", HITS)
            assert log.record("bot", "dropped: queue full", "answered", HITS) is None
        finally:
            lock.rollback()
            lock.close()
        assert log.flush()
        with read_only(settings.path):
            log.record("bot", "fails", "answered", HITS)
            assert log.flush()
        wait_until(lambda: log.stats().state == "writing")
    messages = warnings_of(caplog)
    assert "queue full" in messages[0]
    assert any("cannot write to" in m for m in messages[1:])  # not held back by the throttle
    assert len(recovery_lines(caplog)) == 1


def test_counters_and_state_when_the_log_is_off() -> None:
    stats = QuestionLog.open(StoreSettings(enabled=False)).stats()
    assert (stats.enabled, stats.state, stats.written, stats.dropped) == (False, "off", 0, 0)
