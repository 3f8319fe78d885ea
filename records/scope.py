"""Which statements a search looks at: by date, speaker and interview."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from records.base import Record
from records.corpus import Document


class Scope(Record):
    """A filter over the archive's interviews; with no field set, all of them.

    A date bound keeps only interviews with a known date inside it: a statement of unknown
    date cannot be said to be "since" anything.
    """

    since: dt.date | None = Field(default=None, description="published on or after")
    until: dt.date | None = Field(default=None, description="published on or before")
    speaker: str | None = Field(
        default=None, description="part of the interviewee's name, in any case"
    )
    document: str | None = Field(default=None, description="one interview's id")

    @model_validator(mode="after")
    def _ordered(self) -> Scope:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self

    @property
    def everything(self) -> bool:
        """Whether it lets every interview through."""
        return not (self.since or self.until or self.speaker or self.document)

    @property
    def summary(self) -> str:
        """The fields set, as a person would say them: "speaker 'Путин', since 2020-01-01"."""
        parts = [
            f"document '{self.document}'" if self.document else "",
            f"speaker '{self.speaker}'" if self.speaker else "",
            f"since {self.since}" if self.since else "",
            f"until {self.until}" if self.until else "",
        ]
        return ", ".join(p for p in parts if p) or "everything"

    def admits(self, document: Document) -> bool:
        if self.document is not None and document.id != self.document:
            return False
        if self.speaker and self.speaker.casefold() not in (document.interviewee or "").casefold():
            return False
        if self.since is None and self.until is None:
            return True
        if document.date is None:
            return False
        published = dt.date.fromisoformat(document.date)
        return (self.since is None or self.since <= published) and (
            self.until is None or published <= self.until
        )
