"""The answering service: one model and index behind every front end (search, the decision,
reload, stats, the question log)."""
