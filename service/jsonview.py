"""Replies as JSON: one shape for `interview-bot ask --json` and the web API."""

from __future__ import annotations

from typing import Any

from retrieval.search import Hit

from .questions import QuestionError
from .replies import Reply


def hit_json(hit: Hit) -> dict[str, Any]:
    p = hit.paragraph
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),  # the fused ranking score: what orders the hits
        "similarity": round(hit.similarity, 4),  # the dense cosine
        "text": p.text,
        "question": p.question,
        "section": p.section,
        "document": p.document,
        "paragraph_id": p.id,
        "highlight": hit.highlight,
    }


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "query": reply.query,
        "decision": reply.decision.value,
        "answered": reply.answered,
        "confidence": round(reply.confidence, 4),
        "uncovered_terms": list(reply.uncovered_terms),
        "hits": [hit_json(h) for h in reply.hits],
    }


def error_json(query: str, error: QuestionError) -> dict[str, Any]:
    return {"query": query, "error": str(error)}
