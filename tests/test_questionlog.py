"""The question log: what is recorded, feedback, the read side, migrations and
retention, each on SQLite and on a real PostgreSQL server (testkit/postgres.py)."""

from __future__ import annotations

import dataclasses
import math
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from questionlog.engine import store_url
from questionlog.ids import RECORD_ID_LENGTH, is_record_id
from questionlog.migrations import MIGRATIONS, SchemaError
from questionlog.queries import downvoted, labelled, questions_per_day, unanswered, vote_counts
from questionlog.recorder import QuestionLog
from questionlog.records import DayCount, Feedback, Question, VoteCounts
from questionlog.redaction import redact_url, url_password
from questionlog.schema import feedback, questions, schema_version
from questionlog.settings import StoreSettings
from questionlog.store import Store
from records import Decision

pytest_plugins = ["testkit.postgres"]

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
HITS = [("interview/1.1", 0.91), ("interview/2.3", 0.85), ("interview/4.1", 0.80)]


class FakeClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def all_rows(settings: StoreSettings) -> dict[str, dict[str, Any]]:
    """Every question with its feedback, by id, read back through a new engine."""
    with Store.open(settings) as store, store.engine.connect() as connection:
        statement = sa.select(questions, feedback.c.vote, feedback.c.preferred_paragraph_id)
        joined = questions.outerjoin(feedback, feedback.c.question_id == questions.c.id)
        rows = connection.execute(statement.select_from(joined)).mappings()
        return {row["id"]: dict(row) for row in rows}


def versions(settings: StoreSettings) -> list[int]:
    with Store(settings) as store, store.engine.connect() as connection:
        statement = sa.select(schema_version.c.version).order_by(schema_version.c.version)
        return list(connection.scalars(statement))


# ---- recording -------------------------------------------------------------------------


def test_a_record_and_its_feedback_are_stored(store_settings: StoreSettings) -> None:
    clock = FakeClock(datetime(2025, 3, 1, 15, 30, tzinfo=timezone(timedelta(hours=5))))
    with QuestionLog.open(store_settings, clock) as log:
        record_id = log.record("bot", "Что с договором?", "answered", HITS, language="ru")
        assert record_id is not None and is_record_id(record_id)
        assert len(record_id) == RECORD_ID_LENGTH
        clock.advance(seconds=30)
        assert log.vote(record_id, "down")
        assert log.prefer(record_id, "interview/2.3")
        assert log.flush()
        assert log.stats().written == 3

    row = all_rows(store_settings)[record_id]
    assert row["at"] == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)  # stored as UTC
    assert row["front_end"] == "bot" and row["language"] == "ru"
    assert row["text"] == "Что с договором?" and row["decision"] == "answered"
    assert [tuple(hit) for hit in row["hits"]] == HITS
    assert (row["vote"], row["preferred_paragraph_id"]) == ("down", "interview/2.3")


def test_the_latest_vote_counts_and_a_preference_keeps_it(store_settings: StoreSettings) -> None:
    with QuestionLog.open(store_settings, FakeClock()) as log:
        one = log.record("inline", "q1", "answered", HITS)
        two = log.record("api", "q2", "uncertain", HITS)
        assert one and two
        log.vote(one, "up")
        log.vote(two, "down")
        assert log.flush()  # the next ones land in another batch: updates, not inserts
        log.vote(one, "down")
        log.prefer(two, "interview/4.1")
        log.prefer(two, "interview/2.3")
        log.vote(two, "up")
        assert log.flush()
    rows = all_rows(store_settings)
    assert (rows[one]["vote"], rows[one]["preferred_paragraph_id"]) == ("down", None)
    assert (rows[two]["vote"], rows[two]["preferred_paragraph_id"]) == ("up", "interview/2.3")


def test_feedback_may_be_written_before_its_question(store_settings: StoreSettings) -> None:
    """With several replicas a vote can reach the database before the question's insert,
    queued in another replica: it must still end up on the question."""
    question = Question("q" * RECORD_ID_LENGTH, T0, "bot", None, "q", "answered", tuple(HITS))
    with Store.open(store_settings) as store:
        store.write([], [Feedback(question.id, T0, vote="up")])
        store.write([question], [])
        assert vote_counts(store, T0.date()) == VoteCounts(up=1, down=0)


def test_text_no_database_accepts_is_made_storable(store_settings: StoreSettings) -> None:
    """A NUL or a lone surrogate would fail the whole batch on PostgreSQL or in the driver,
    losing other users' records with it."""
    with QuestionLog.open(store_settings, FakeClock()) as log:
        ids = [
            log.record("page", "nul\x00byte", "not_covered", []),
            log.record("api", "lone \ud800 surrogate", "not_covered", [("p\x00", 0.5)]),
            log.record("bot", "ordinary", "answered", HITS),
        ]
        assert log.flush()
        assert log.stats().failed == 0
    rows = all_rows(store_settings)
    assert [rows[i]["text"] for i in ids if i] == ["nul\ufffdbyte", "lone ? surrogate", "ordinary"]


def test_arguments_no_front_end_should_pass_are_refused(tmp_path: Path) -> None:
    settings = StoreSettings(path=tmp_path / "q.sqlite3")

    with QuestionLog.open(settings, FakeClock()) as log:
        with pytest.raises(ValueError, match="FrontEnd"):
            log.record("telegram", "q", "answered", HITS)
        with pytest.raises(ValueError, match="Decision"):
            log.record("bot", "q", "maybe", HITS)
        with pytest.raises(ValueError, match="finite"):
            log.record("bot", "q", "answered", [("interview/1.1", math.nan)])
        record_id = log.record("bot", "q", Decision.ANSWERED, HITS)
        assert record_id
        with pytest.raises(ValueError, match="Vote"):
            log.vote(record_id, "meh")
        # Ids come back from buttons, which a client can forge.
        assert not log.vote("x" * 64, "up")
        assert not log.vote("", "up")
        assert not log.prefer(record_id, "")
        assert not log.prefer(record_id, "p" * 1000)
        assert log.flush()
        assert log.stats().written == 1


def test_disabled_log_writes_nothing(store_settings: StoreSettings) -> None:
    settings = dataclasses.replace(store_settings, enabled=False)
    with QuestionLog.open(settings, FakeClock()) as log:
        assert log.record("bot", "q", "answered", HITS) is None
        assert not log.vote("a" * RECORD_ID_LENGTH, "up")
        assert log.flush()
        assert not log.stats().enabled
    if settings.url is None:
        assert not settings.path.exists()
    else:
        with Store(settings) as store, store.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []


# ---- the read side -----------------------------------------------------------------------


def test_the_read_side_on_known_data(store_settings: StoreSettings) -> None:
    clock = FakeClock(datetime(2025, 2, 28, 23, 0, tzinfo=UTC))
    with QuestionLog.open(store_settings, clock) as log:

        def ask(text: str, decision: str, **then: str) -> str:
            clock.advance(minutes=1)  # one order by time
            record_id = log.record("bot", text, decision, HITS, language="en")
            assert record_id
            if "vote" in then:
                log.vote(record_id, then["vote"])
            if "prefer" in then:
                log.prefer(record_id, then["prefer"])
            return record_id

        ask("before the period", "not_covered", vote="down")
        clock.now = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
        q1 = ask("q1", "answered", vote="up")
        q2 = ask("q2", "answered", vote="down", prefer="interview/4.1")
        # 03:00 in Almaty on 2 March is 22:00 UTC on 1 March: days are UTC days.
        clock.now = datetime(2025, 3, 2, 3, 0, tzinfo=timezone(timedelta(hours=5)))
        q3 = ask("q3", "not_covered")
        clock.now = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
        q4 = ask("q4", "uncertain", vote="down")
        q5 = ask("q5", "answered", prefer="interview/2.3")
        q6 = ask("q6", "not_covered", vote="down")
        assert log.flush()

    since = date(2025, 3, 1)
    with Store.open(store_settings) as store:
        assert questions_per_day(store, since) == [
            DayCount(date(2025, 3, 1), "answered", 2),
            DayCount(date(2025, 3, 1), "not_covered", 1),
            DayCount(date(2025, 3, 2), "answered", 1),
            DayCount(date(2025, 3, 2), "not_covered", 1),
            DayCount(date(2025, 3, 2), "uncertain", 1),
        ]
        assert [q.id for q in unanswered(store, since)] == [q3, q4, q6]
        assert unanswered(store, since)[0].text == "q3"

        bad = downvoted(store, since)
        assert [(b.question.id, b.preferred_paragraph_id) for b in bad] == [
            (q2, "interview/4.1"),
            (q4, None),
            (q6, None),
        ]
        assert bad[0].question.shown_paragraph_id == "interview/1.1"
        assert bad[0].question.hits == tuple(HITS)
        assert vote_counts(store, since) == VoteCounts(up=1, down=3)

        rows = labelled(store, since)
        assert [(r.question.id, r.preferred_paragraph_id) for r in rows] == [
            (q2, "interview/4.1"),
            (q3, None),
            (q5, "interview/2.3"),
            (q6, None),
        ]
        # An aware datetime bounds the period to the second.
        assert [q.id for q in unanswered(store, datetime(2025, 3, 2, 9, 1, tzinfo=UTC))] == [q4, q6]
        assert vote_counts(store, date(2025, 3, 3)) == VoteCounts(up=0, down=0)
        assert q1 not in {q.id for q in unanswered(store, since)}


# ---- migrations --------------------------------------------------------------------------


def test_an_empty_database_is_migrated_to_the_latest_version(
    store_settings: StoreSettings,
) -> None:
    with Store.open(store_settings) as store, store.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert tables == {"questions", "feedback", "schema_version"}
    assert versions(store_settings) == list(range(1, len(MIGRATIONS) + 1))


def test_an_older_schema_is_upgraded_and_keeps_its_rows(store_settings: StoreSettings) -> None:
    with QuestionLog.open(store_settings, FakeClock()) as log:
        record_id = log.record("bot", "asked under version 1", "answered", HITS)
        assert log.flush()

    def add_a_column(connection: sa.Connection) -> None:
        connection.execute(sa.text("ALTER TABLE questions ADD COLUMN note TEXT"))

    with Store(store_settings, migrations=(*MIGRATIONS, add_a_column)) as store:
        store.ensure_schema()
        with store.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("questions")}
            text = connection.scalar(sa.select(questions.c.text).where(questions.c.id == record_id))
    assert "note" in columns
    assert text == "asked under version 1"
    assert versions(store_settings) == [*range(1, len(MIGRATIONS) + 1), len(MIGRATIONS) + 1]


def test_a_newer_schema_is_refused(store_settings: StoreSettings) -> None:
    Store.open(store_settings).close()
    newer = len(MIGRATIONS) + 1
    with Store(store_settings) as store, store.engine.begin() as connection:
        connection.execute(sa.insert(schema_version).values(version=newer, applied_at=T0))
    with pytest.raises(SchemaError, match=f"version {newer}, newer than this program's"):
        QuestionLog.open(store_settings)
    with pytest.raises(SchemaError):
        Store.open(store_settings)


def test_replicas_opening_a_new_database_together_migrate_it_once(
    store_settings: StoreSettings,
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_store() -> None:
        start.wait()
        try:
            Store.open(store_settings).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert versions(store_settings) == list(range(1, len(MIGRATIONS) + 1))


# ---- retention ---------------------------------------------------------------------------


def test_purge_deletes_what_is_older_than_the_cut(store_settings: StoreSettings) -> None:
    def question(days_old: int) -> Question:
        return Question(
            f"{days_old:0{RECORD_ID_LENGTH}d}",
            T0 - timedelta(days=days_old),
            "bot",
            None,
            f"{days_old} days old",
            "answered",
            (),
        )

    old, recent = question(91), question(89)
    with Store.open(store_settings) as store:
        store.write(
            [old, recent], [Feedback(old.id, old.at, "down"), Feedback(recent.id, T0, "up")]
        )
        assert store.purge(T0 - timedelta(days=90)) == 1
        assert vote_counts(store, date(2000, 1, 1)) == VoteCounts(up=1, down=0)
    assert set(all_rows(store_settings)) == {recent.id}


def test_the_log_purges_old_questions_itself(store_settings: StoreSettings) -> None:
    clock = FakeClock()
    settings = dataclasses.replace(store_settings, retention_days=30)
    with QuestionLog.open(settings, clock) as log:
        old = log.record("bot", "asked long ago", "answered", HITS)
        assert log.flush()
        clock.advance(days=30, seconds=-1)
        kept = log.record("bot", "asked 30 days later", "answered", HITS)
        assert log.flush()
        assert set(all_rows(settings)) == {old, kept}  # not yet 30 days old
        clock.advance(days=1)
        new = log.record("bot", "asked today", "answered", HITS)
        assert log.flush()
    assert set(all_rows(settings)) == {kept, new}


# ---- settings ----------------------------------------------------------------------------


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="retention_days"):
        StoreSettings(retention_days=0)
    with pytest.raises(ValueError, match="queue_size"):
        StoreSettings(queue_size=0)
    assert "s3cret" not in repr(StoreSettings(url="postgresql://bot:s3cret@db/q"))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bot:s3cret@db:5432/q", "postgresql://bot:***@db:5432/q"),
        ("postgresql://bot@db/q?password=s3cret", "postgresql://bot@db/q?password=***"),
        ("postgresql://db/q", "postgresql://db/q"),
        ("not a url://bot:s3cret@db", "not a url://bot:***@db"),
    ],
)
def test_the_url_password_is_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert url_password(url) == ("s3cret" if "s3cret" in url else None)


def test_only_postgresql_urls_are_taken() -> None:
    url = store_url(StoreSettings(url="postgres://bot:s3cret@db/q"))
    assert url.drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="postgresql://") as refused:
        store_url(StoreSettings(url="mysql://bot:s3cret@db/q"))
    assert "s3cret" not in str(refused.value)
    with pytest.raises(ValueError, match="not a URL") as malformed:
        store_url(StoreSettings(url="bot:s3cret@db"))
    assert "s3cret" not in str(malformed.value)
