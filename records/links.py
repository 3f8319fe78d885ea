"""The address of a statement's own page, which every front end links to."""

from __future__ import annotations

from urllib.parse import quote


def permalink(paragraph_id: str, public_url: str | None = None) -> str:
    """The page of one paragraph: its path, /p/<id>, or with `public_url` (where the page
    is published) its whole address."""
    path = f"/p/{quote(paragraph_id, safe='/')}"
    return f"{public_url.rstrip('/')}{path}" if public_url else path
