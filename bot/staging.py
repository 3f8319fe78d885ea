"""Uploads waiting for an administrator's Publish or Cancel, kept on disk by a short id.

A preview's buttons carry only that id: callback data is at most 64 bytes, too small for a
Telegram file id, let alone the file. What the id names is kept in a folder, not in memory,
so that a preview sent before a restart can still be published; and it is the bytes that
were previewed, not the file id or the URL, so that what is published is what the
administrator saw, even if the page changed meanwhile.

The folder is `.uploads` inside the corpus folder: the corpus is what an upload waits to
join, the server writes there anyway when it publishes, and the corpus's reader skips
hidden names. Each upload is `<id>/` with `source` (the bytes), `source.json` (its name and
where it came from), then `claimed` once a button was pressed (created exclusively: of
several presses one wins) and `outcome.json` once that press is done. Uploads older than
`KEEP_DAYS` are removed when a new one arrives; one whose press a crash cut short stays
"being published" until then (its files, if written, are in the corpus for the next reload).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from importer import Source

FOLDER = ".uploads"
KEEP_DAYS = 7
# token_urlsafe(8): 11 characters of A-Z a-z 0-9 - _, too many to guess.
_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_SOURCE, _ABOUT, _CLAIMED, _OUTCOME = "source", "source.json", "claimed", "outcome.json"


class Outcome(StrEnum):
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    FAILED = "failed"


class State(StrEnum):
    CLAIMED = "claimed"  # this press won: act on it
    BUSY = "busy"  # another press won and is still at work
    DONE = "done"  # another press won and finished: see `outcome`
    GONE = "gone"  # no such upload (expired, or never staged here)


@dataclass(frozen=True)
class Claim:
    state: State
    outcome: Outcome | None = None


def is_upload_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


class Staging:
    def __init__(self, corpus_dir: Path, keep_days: float = KEEP_DAYS) -> None:
        self.folder = corpus_dir / FOLDER
        self.keep_seconds = keep_days * 86_400

    def stage(self, source: Source) -> str:
        """Keep `source` until a button decides; returns its id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._prune()
        upload_id = secrets.token_urlsafe(8)
        building = self.folder / f".{upload_id}"
        building.mkdir()
        (building / _SOURCE).write_bytes(source.data)
        about = {"name": source.name, "stem": source.stem, "url": source.url}
        about["charset"] = source.charset
        (building / _ABOUT).write_text(json.dumps(about, ensure_ascii=False), encoding="utf-8")
        # Whole or not at all: a button never finds half an upload.
        building.rename(self.folder / upload_id)
        return upload_id

    def claim(self, upload_id: str) -> Claim:
        """Take the upload for one press; the presses that come later learn what it did."""
        folder = self._folder(upload_id)
        if folder is None:
            return Claim(State.GONE)
        try:
            os.close(os.open(folder / _CLAIMED, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            outcome = self.outcome(upload_id)
            return Claim(State.BUSY) if outcome is None else Claim(State.DONE, outcome)
        except FileNotFoundError:  # pruned meanwhile
            return Claim(State.GONE)
        return Claim(State.CLAIMED)

    def source(self, upload_id: str) -> Source | None:
        folder = self._folder(upload_id)
        if folder is None:
            return None
        try:
            about = json.loads((folder / _ABOUT).read_text(encoding="utf-8"))
            data = (folder / _SOURCE).read_bytes()
        except (OSError, ValueError):
            return None
        return Source(
            name=about["name"],
            data=data,
            stem=about["stem"],
            url=about["url"],
            charset=about["charset"],
        )

    def finish(self, upload_id: str, outcome: Outcome) -> None:
        """Record what the press did; the bytes are no longer needed."""
        folder = self._folder(upload_id)
        if folder is None:
            return
        (folder / _SOURCE).unlink(missing_ok=True)
        (folder / _OUTCOME).write_text(json.dumps({"outcome": outcome.value}), encoding="utf-8")

    def outcome(self, upload_id: str) -> Outcome | None:
        folder = self._folder(upload_id)
        try:
            if folder is not None:
                return Outcome(json.loads((folder / _OUTCOME).read_text())["outcome"])
        except (OSError, ValueError, KeyError):
            pass
        return None

    def _folder(self, upload_id: str) -> Path | None:
        # The id comes from callback data: only ever a name inside the staging folder.
        if not is_upload_id(upload_id):
            return None
        folder = self.folder / upload_id
        return folder if folder.is_dir() else None

    def _prune(self) -> None:
        cutoff = time.time() - self.keep_seconds
        for folder in self.folder.iterdir():
            try:
                old = folder.stat().st_mtime < cutoff
            except FileNotFoundError:
                continue
            if old and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
