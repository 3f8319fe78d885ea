"""Which messages ask the bot something, and what they ask.

In a private chat every message is for the bot. In a group only those that mention it
(@username) or reply to one of its messages are: the rest is other people's conversation.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, User
from telegram.constants import ChatType
from telegram.ext import filters


def _mentions_bot(message: Message) -> list[MessageEntity]:
    """The @username entities in the message's text or caption that name this bot."""
    mention = f"@{message.get_bot().username}".lower()
    found = message.parse_entities([MessageEntity.MENTION]) | message.parse_caption_entities(
        [MessageEntity.MENTION]
    )
    return [entity for entity, text in found.items() if text.lower() == mention]


def is_addressed(message: Message) -> bool:
    """Whether the message is for the bot: in a private chat, or mentions or replies to it."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == message.get_bot().id:
        return True
    return bool(_mentions_bot(message))


def question_text(message: Message) -> str:
    """The message's text with mentions of the bot cut out: "@bot когда…" asks "когда…"."""
    text = message.text or ""
    # Entity offsets count UTF-16 code units, so cut the UTF-16 form of the text.
    encoded = text.encode("utf-16-le")
    kept, start = [], 0
    for entity in sorted(_mentions_bot(message), key=lambda e: e.offset):
        kept.append(encoded[2 * start : 2 * entity.offset])
        start = entity.offset + entity.length
    kept.append(encoded[2 * start :])
    return b"".join(kept).decode("utf-16-le")


class _Addressed(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return is_addressed(message)


ADDRESSED = _Addressed(name="ADDRESSED")


def sender_of(user: User | None) -> tuple[str, int] | None:
    """Whose question it is, for the encoder's fair order across users."""
    return ("bot", user.id) if user is not None else None
