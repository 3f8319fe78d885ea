"""The question log (issue 12): what users asked, how the bot decided, and what they
thought of the answer, so that the owner can see what the interview does not answer and
which answers were wrong.

Front ends call `QuestionLog` (record, vote, prefer), which never waits for the database;
the command line reads with `Store.open` and the functions of `queries`. No user ids,
chat ids or names are ever stored. See `settings.StoreSettings` for the [store] section.
"""

from questionlog.ids import RECORD_ID_LENGTH, is_record_id
from questionlog.migrations import SchemaError
from questionlog.queries import downvoted, labelled, questions_per_day, unanswered, vote_counts
from questionlog.recorder import QuestionLog
from questionlog.records import (
    DayCount,
    Decision,
    Feedback,
    FrontEnd,
    Hit,
    LogStats,
    Question,
    QuestionWithFeedback,
    Vote,
    VoteCounts,
)
from questionlog.redaction import redact_url, url_password
from questionlog.settings import StoreSettings
from questionlog.store import Store

__all__ = [
    "RECORD_ID_LENGTH",
    "DayCount",
    "Decision",
    "Feedback",
    "FrontEnd",
    "Hit",
    "LogStats",
    "Question",
    "QuestionLog",
    "QuestionWithFeedback",
    "SchemaError",
    "Store",
    "StoreSettings",
    "Vote",
    "VoteCounts",
    "downvoted",
    "is_record_id",
    "labelled",
    "questions_per_day",
    "redact_url",
    "unanswered",
    "url_password",
    "vote_counts",
]
