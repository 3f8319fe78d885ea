"""Scoring a paragraph for a question beyond the dense cosine, both sides of it: what an
index build stores per paragraph and what a question is scored with (scoring.py), the
corpus's vocabulary and a question's term coverage (terms.py), navec word vectors
(wordvectors.py)."""
