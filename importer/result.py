"""The outcome of importing one source, as the CLI prints it and the bot will show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .blocks import Metadata
from .structure import Interview

Status = Literal["imported", "refused", "duplicate"]
DOCUMENT_FIELDS = ("title", "date", "interviewee", "interviewer", "outlet", "source_url")


@dataclass
class Imported:
    source: str
    status: Status
    reason: str | None = None
    metadata: Metadata = field(default_factory=Metadata)
    interview: Interview | None = None
    path: Path | None = None  # written, or that would be written with --dry-run
    dry_run: bool = False

    @property
    def missing(self) -> list[str]:
        return [name for name in DOCUMENT_FIELDS if getattr(self.metadata, name) is None]

    def to_json(self) -> dict[str, Any]:
        answers = self.interview.answers if self.interview else ()
        out: dict[str, Any] = {"source": self.source, "status": self.status}
        if self.reason is not None:
            out["reason"] = self.reason
        out["document"] = {name: getattr(self.metadata, name) for name in DOCUMENT_FIELDS}
        out["answers"] = [
            {"question": a.question, "paragraphs": list(a.paragraphs)} for a in answers
        ]
        out["headings"] = list(self.interview.headings) if self.interview else []
        out["path"] = str(self.path) if self.path else None
        if self.dry_run:
            out["dry_run"] = True
        return out
