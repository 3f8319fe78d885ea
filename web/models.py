"""The web front end's own response models: what the API says beyond a reply (a paragraph
with its answer and citation, the documents, health, feedback), and what the page draws
(the corpus map, a reply with its citations and whole answers).

A reply itself is service.replies.Reply, exactly as `ask --json` prints it. Every route
returns one of these as its response model, so /docs and /openapi.json describe what is
sent. Text goes out as JSON strings; the page puts it into the DOM as text, never as HTML.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from records import Decision, Document, Paragraph, Vote
from records.base import Record, Score
from service.citation import Citation
from service.replies import Reply


class Error(Record):
    error: str


class ParagraphView(Record):
    """A paragraph, the whole answer it belongs to, and where it comes from."""

    paragraph: Paragraph
    label: str = Field(description="short topic label of the interviewer question")
    answer: tuple[Paragraph, ...] = Field(description="the whole answer it belongs to")
    document: Document
    citation: Citation


class DocumentEntry(Document):
    paragraphs: int = Field(description="answer paragraphs it has")


class Documents(Record):
    documents: tuple[DocumentEntry, ...]


class IndexBuild(Record):
    build: str
    built_at: str
    build_seconds: float
    index_type: str


class QuestionLogHealth(Record):
    state: Literal["off", "writing", "failing", "closed"] = Field(
        description="failing: the database cannot be written, and records are dropped"
    )
    written: int = Field(description="records committed since start-up")
    dropped: int = Field(
        description="records refused: the queue full, or the database failing (no record id "
        "was given for them)"
    )
    failed: int = Field(description="records queued, then lost to a database error")
    queued: int = Field(description="records waiting to be written now")


class Health(Record):
    status: str = "ok"
    model: str
    index: IndexBuild
    documents: int
    paragraphs: int
    uptime_s: float
    reloads: int
    failed_reloads: int
    decisions: dict[Decision, int] = Field(description="replies by decision since start-up")
    question_log: QuestionLogHealth


class FeedbackIn(Record):
    record_id: str = Field(max_length=64, description="the X-Record-Id header of a search")
    vote: Vote | None = None
    paragraph_id: str | None = Field(
        default=None, max_length=200, description="a paragraph that answers it better"
    )


class FeedbackOut(Record):
    recorded: bool = Field(description="false when the question log is off or the id unknown")


# ---- what the page draws: not a stable API ----


class MapTopic(Record):
    key: str = Field(description="the interviewer question: <document>#<answer>")
    labels: dict[str, str] = Field(description="its label in each of the page's languages")
    question: str


class MapPoint(Record):
    id: str
    x: Score
    y: Score
    topic: str
    text: str = Field(description="the paragraph, shortened")


class PageCorpus(Record):
    build: str
    answer_confidence: Score = Field(description="the confidence an answer needs")
    similarity_scale: tuple[float, float] = Field(description="where the similarity bars start")
    top_k: int
    max_query_chars: int
    examples: tuple[str, ...]
    documents: int = Field(description="interviews served: the filters show when more than one")
    speakers: tuple[str, ...] = Field(
        description="the interviewees, each once, alphabetically: the speaker filter's choices"
    )
    dates: tuple[str, str] | None = Field(
        description="the first and the last date of publication recorded (ISO); null when no "
        "interview records one"
    )
    topics: tuple[MapTopic, ...]
    points: tuple[MapPoint, ...]


class PageCitation(Record):
    source: str = Field(description="the citation without its link")
    url: str | None


class AnswerParagraph(Record):
    id: str
    text: str


class PageHit(Record):
    """What the page draws beside one of the reply's hits."""

    shown: bool = Field(description="one of the reply's passages: the answer, or the closest few")
    topic: str
    label: str = Field(description="the topic's label in the page's language")
    citation: PageCitation
    quotation: str = Field(
        description="the paragraph quoted with its source, in the page's language: the text "
        "the bot's Cite button sends"
    )
    whole_answer: tuple[AnswerParagraph, ...]


class NearestQuestion(Record):
    label: str
    question: str


class PageReply(Record):
    reply: Reply
    language: str = Field(description="the page's language the quotations are in")
    build: str
    position: tuple[Score, Score]
    hits: tuple[PageHit, ...]
    nearest_questions: tuple[NearestQuestion, ...]
