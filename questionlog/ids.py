"""Record ids, made in the caller's process so that the id is known before anything is
written: the bot puts it in a button's callback data (64 bytes in all) at once.

96 random bits make 16 URL-safe characters; two ids collide with odds of about 1 in 2^48
even after 2^24 questions, so no database round trip is needed to make one unique.
"""

from __future__ import annotations

import re
import secrets

RECORD_ID_LENGTH = 16
_RANDOM_BYTES = RECORD_ID_LENGTH * 3 // 4
_RECORD_ID = re.compile(rf"[A-Za-z0-9_-]{{{RECORD_ID_LENGTH}}}")


def new_record_id() -> str:
    return secrets.token_urlsafe(_RANDOM_BYTES)


def is_record_id(text: str) -> bool:
    """Whether `text` could be an id this module made. Ids come back from users' button
    presses, which a client can forge: anything else is refused before it is queued."""
    return _RECORD_ID.fullmatch(text) is not None
