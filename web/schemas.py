"""The API's shapes as OpenAPI documents them (/docs, /openapi.json).

The routes return the dicts of service.jsonview and web.views as they are; these models
only describe them, and the tests validate every response against its model (extra fields
forbidden), so that the documentation cannot drift from what is sent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchHit(_Strict):
    rank: int = Field(description="1-based, best first")
    score: float = Field(description="the ranking score (the fused signals), best first")
    similarity: float = Field(description="cosine similarity of the question and the paragraph")
    text: str = Field(description="the answer paragraph")
    question: str = Field(description="the interviewer's question it answers")
    section: str | None
    document: str
    paragraph_id: str
    highlight: str = Field(description="the paragraph's sentence closest to the question")


class SearchReply(_Strict):
    """Exactly what `interview-bot ask --json` prints for the question."""

    query: str
    decision: Literal["answered", "uncertain", "not_covered"]
    answered: bool
    confidence: float
    uncovered_terms: list[str] = Field(description="words of the question the interview lacks")
    hits: list[SearchHit]


class QuestionRefused(_Strict):
    """An empty or over-long question, as `ask --json` prints it."""

    query: str
    error: str


class Error(_Strict):
    error: str


class Paragraph(_Strict):
    id: str
    document: str
    question: str
    section: str | None
    answer_no: int
    position: int = Field(description="1-based place in its answer")
    count: int = Field(description="paragraphs in its answer")
    text: str


class Document(_Strict):
    id: str
    title: str
    date: str | None
    interviewee: str | None
    interviewer: str | None
    outlet: str | None
    source_url: str | None
    language: str
    topics: list[str]


class Citation(_Strict):
    speaker: str | None
    asker: str | None
    title: str
    outlet: str | None
    date: str | None
    url: str | None
    paragraph_id: str
    source: str = Field(description="the known parts in one line, as every front end shows it")


class ParagraphView(_Strict):
    paragraph: Paragraph
    label: str = Field(description="short topic label of the interviewer question")
    answer: list[Paragraph] = Field(description="the whole answer the paragraph belongs to")
    document: Document
    citation: Citation


class DocumentWithCount(Document):
    paragraphs: int


class Documents(_Strict):
    documents: list[DocumentWithCount]


class IndexBuild(_Strict):
    build: str
    built_at: str
    build_seconds: float
    index_type: str


class Health(_Strict):
    status: Literal["ok"]
    model: str
    index: IndexBuild
    documents: int
    paragraphs: int
    uptime_s: float
    reloads: int
    failed_reloads: int
    decisions: dict[str, int] = Field(description="replies by decision since start-up")


class FeedbackIn(_Strict):
    record_id: str = Field(max_length=64, description="the X-Record-Id header of a search")
    vote: Literal["up", "down"] | None = None
    paragraph_id: str | None = Field(
        default=None, max_length=200, description="a paragraph that answers it better"
    )


class FeedbackOut(_Strict):
    recorded: bool = Field(description="false when the question log is off or the id unknown")
