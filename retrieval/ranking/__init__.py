"""Ranking a loaded index's paragraphs for encoded questions (ranker.py)."""
