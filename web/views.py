"""The web front end's JSON, beyond the replies' shape that service.jsonview owns: paragraphs,
documents, health, and what the page needs to draw a reply (labels, citations, whole
answers, the map).

Everything a reply shows is read from reply.snapshot, the index that chose its hits: a
reload in between does not mix two indexes in one answer. Text goes out as JSON strings;
the page puts it into the DOM as text, never as HTML.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from service.answering import AnswerService
from service.citation import Citation, cite
from service.jsonview import reply_json
from service.records import Document, Hit, Paragraph
from service.replies import Reply
from service.snapshot import Snapshot

# Hovering a point on the map shows its paragraph up to this length.
MAP_TEXT_CHARS = 400
# e5's cosines are compressed (unrelated questions still score 0.7 or more): a bar from 0
# would look full for every hit. The page's similarity bars start here.
SIMILARITY_FLOOR = 0.6


def paragraph_json(p: Paragraph) -> dict[str, Any]:
    return {
        "id": p.id,
        "document": p.document,
        "question": p.question,
        "section": p.section,
        "answer_no": p.answer_no,
        "position": p.position,
        "count": p.count,
        "text": p.text,
    }


def document_json(d: Document) -> dict[str, Any]:
    # Not d.path: where the server keeps its files is nobody's business.
    return {
        "id": d.id,
        "title": d.title,
        "date": d.date,
        "interviewee": d.interviewee,
        "interviewer": d.interviewer,
        "outlet": d.outlet,
        "source_url": d.source_url,
        "language": d.language,
        "topics": list(d.topics),
    }


def citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "speaker": citation.speaker,
        "asker": citation.asker,
        "title": citation.title,
        "outlet": citation.outlet,
        "date": citation.date,
        "url": citation.url,
        "paragraph_id": citation.paragraph_id,
        "source": citation.source,
    }


def paragraph_view(p: Paragraph, snapshot: Snapshot) -> dict[str, Any]:
    """GET /api/paragraphs/{id}: the paragraph, the whole answer it is part of, and its
    document, with the citation every front end shows."""
    return {
        "paragraph": paragraph_json(p),
        "label": snapshot.label(p),
        "answer": [paragraph_json(q) for q in snapshot.whole_answer(p)],
        "document": document_json(snapshot.document(p.document)),
        "citation": citation_json(cite(p, snapshot.document(p.document))),
    }


def documents_view(snapshot: Snapshot) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for p in snapshot.paragraphs:
        counts[p.document] = counts.get(p.document, 0) + 1
    return {
        "documents": [
            {**document_json(d), "paragraphs": counts.get(d.id, 0)} for d in snapshot.documents
        ]
    }


def health_view(service: AnswerService) -> dict[str, Any]:
    snapshot = service.snapshot
    manifest = snapshot.manifest
    stats = service.stats
    return {
        "status": "ok",
        "model": manifest.model,
        "index": {
            "build": snapshot.build_id,
            "built_at": manifest.built_at,
            "build_seconds": manifest.build_seconds,
            "index_type": manifest.index_type,
        },
        "documents": len(snapshot.documents),
        "paragraphs": manifest.count,
        "uptime_s": round(stats.uptime, 1),
        "reloads": stats.reloads,
        "failed_reloads": stats.failed_reloads,
        "decisions": {decision.value: n for decision, n in sorted(stats.decisions.items())},
    }


def topic_key(p: Paragraph) -> str:
    """The interviewer question a paragraph answers: the map colours points by it."""
    return f"{p.document}#{p.answer_no}"


def corpus_view(service: AnswerService, examples: tuple[str, ...]) -> dict[str, Any]:
    """GET /api/page/corpus: what the page draws before any question, and its settings."""
    snapshot = service.snapshot
    search = service.settings.search
    topics: dict[str, dict[str, str]] = {}
    points = []
    for p, x, y in snapshot.map_points():
        key = topic_key(p)
        if key not in topics:
            topics[key] = {"key": key, "label": snapshot.label(p), "question": p.question}
        points.append(
            {
                "id": p.id,
                "x": round(x, 4),
                "y": round(y, 4),
                "topic": key,
                "text": _shorten(p.text, MAP_TEXT_CHARS),
            }
        )
    return {
        "build": snapshot.build_id,
        # What the page draws: the confidence an answer needs, on the decision's bar, and
        # the scale of the hits' similarity bars. The decision itself is the service's.
        "answer_confidence": round(snapshot.answer_confidence, 4),
        "similarity_scale": [SIMILARITY_FLOOR, 1.0],
        "top_k": search.top_k,
        "max_query_chars": search.max_query_chars,
        "examples": list(examples),
        "topics": list(topics.values()),
        "points": points,
    }


def reply_view(reply: Reply) -> dict[str, Any]:
    """GET /api/page/search: the API's reply (reply_json, unchanged) and what the page
    draws besides, all from the snapshot that produced the reply."""
    snapshot = reply.snapshot
    shown = {hit.paragraph.id for hit in reply.passages}
    return {
        "reply": reply_json(reply),
        "build": snapshot.build_id,
        "position": [round(reply.position[0], 4), round(reply.position[1], 4)],
        "hits": [_hit_view(hit, snapshot, hit.paragraph.id in shown) for hit in reply.hits],
        "nearest_questions": [
            {"label": snapshot.label(hit.paragraph), "question": hit.paragraph.question}
            for hit in reply.nearest_questions
        ],
    }


def _hit_view(hit: Hit, snapshot: Snapshot, shown: bool) -> dict[str, Any]:
    p = hit.paragraph
    citation = cite(p, snapshot.document(p.document))
    return {
        "paragraph_id": p.id,
        "shown": shown,  # one of the reply's passages: the answer, or the closest few
        "topic": topic_key(p),
        "label": snapshot.label(p),
        "position": p.position,
        "count": p.count,
        # The source without its link, which the page adds only if it is a web address.
        "citation": {"source": dataclasses.replace(citation, url=None).source, "url": citation.url},
        "whole_answer": [{"id": q.id, "text": q.text} for q in snapshot.whole_answer(p)],
    }


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
