"""Questions from the question log as labelled-set lines, for a person to check.

Each line has the fields of tests/eval_set.jsonl and `"reviewed": false`: the labels come
from users (the paragraph they opened after a 👎) or from the bot itself (a question it
judged not covered), and either can be wrong. `interview-bot eval --set FILE` skips a line
until a person has checked it and set `"reviewed": true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from questionlog.records import QuestionWithFeedback


def export_lines(rows: Sequence[QuestionWithFeedback]) -> list[dict[str, Any]]:
    """One line a distinct question: its preferred paragraph, else "not answered"."""
    lines: dict[str, dict[str, Any]] = {}
    for row in rows:
        question = row.question
        key = " ".join(question.text.split()).casefold()
        shown = question.hits[0][0] if question.hits else None
        line: dict[str, Any]
        if row.preferred_paragraph_id is not None:
            line = {
                "question": question.text,
                "language": question.language or "",
                "expected": [row.preferred_paragraph_id],
                "kind": "reworded",
                "note": f"feedback: preferred over {shown}",
            }
        else:
            line = {
                "question": question.text,
                "language": question.language or "",
                "expected": None,
                "note": f"feedback: judged {question.decision}",
                # A person decides what kind of input it is (near_topic: the interviewee's
                # field, which the interview does not answer; other_context; chatter...).
                "kind": "near_topic",
                "topic": "unreviewed",
            }
        # A user's label beats the bot's own judgement of the same wording.
        if key not in lines or line["expected"] is not None:
            lines[key] = {**line, "reviewed": False}
    return list(lines.values())
