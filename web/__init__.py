"""The web front end: a page to demo semantic search to an audience, and a JSON API for
quick lookups, on the answering service (create_app), served by uvicorn (serving_web)."""
