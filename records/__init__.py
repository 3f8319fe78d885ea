"""The records that cross the program's boundaries, in one typed form each.

A paragraph, a document, a hit and the decision are made once (by the corpus parser, the
ranker and the service) and passed as they are: the JSON API returns them as its response
models, `interview-bot ask --json` prints them, the bot and the CLI render them, the
question log stores their decision. Every other package may import this one; it imports
none of them.
"""

from records.corpus import Document, Paragraph, TranslatedTopics
from records.errors import UserError
from records.links import permalink
from records.replies import Decision, FrontEnd, Hit, Reason, Statement, Timeline, Vote
from records.scope import Scope

__all__ = [
    "Decision",
    "Document",
    "FrontEnd",
    "Hit",
    "Paragraph",
    "Reason",
    "Scope",
    "Statement",
    "Timeline",
    "TranslatedTopics",
    "UserError",
    "Vote",
    "permalink",
]
