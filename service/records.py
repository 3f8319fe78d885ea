"""The records front ends show, as retrieval defines them: front ends import them from here
and know nothing else of retrieval."""

from retrieval.corpus import Document, Paragraph
from retrieval.index import Manifest
from retrieval.search import Hit

__all__ = ["Document", "Hit", "Manifest", "Paragraph"]
