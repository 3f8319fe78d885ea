"""What kind of input a message is, before anyone pretends to answer it.

People send a bot greetings, thanks, "?", "123", "почему?", a keyboard mash, and questions
about the interview itself ("когда было опубликовано интервью?"). Ranked against the corpus,
each of these finds some paragraph, often with a confident margin; none is a question the
interviewee answered. So a message is classified first, from its words alone:

1. no letters at all, or only question words, yes/no, fillers and keyboard mash: nothing to
   search (`NO_CONTENT`);
2. a small-talk phrase (service/lexicon.py) and no other word the interview covers: a
   greeting, thanks, goodbye or small talk, answered as such;
3. a word about the source (interview, newspaper, published, video...) and no other word the
   interview covers (the interviewee's own name counts for neither): a question about the
   interview, answered from the documents' metadata;
4. anything else is a question, searched and decided on (service/decision.py).

"Another word the interview covers" is a content word whose form, lemma or stem the corpus
vocabulary holds: "привет, когда подпишут договор?" stays a question. A message with other
content words the vocabulary lacks (in another language, say: "hello, when will the treaty
be signed?") is searched, and is a question only if the decision answers it with a
paragraph; otherwise the small talk or the question about the source is what it asked.
The lists are words a person wrote, not fitted numbers; the labelled set measures the
result per kind of input (docs/quality.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from records import Document, Reason
from retrieval.signals import terms
from retrieval.signals.terms import Vocabulary

from .lexicon import EMPTY_WORDS, GOODBYE, GREETING, KEYBOARD_ROWS, SMALL_TALK, SOURCE_WORDS, THANKS

_SMALL_TALK = (
    *((p, Reason.GREETING) for p in GREETING),
    *((p, Reason.THANKS) for p in THANKS),
    *((p, Reason.GOODBYE) for p in GOODBYE),
    *((p, Reason.SMALL_TALK) for p in SMALL_TALK),
)
# Longest first, so that "thank you" is one phrase, not "you" left over.
_PHRASES = sorted(
    ((tuple(phrase.split()), reason) for phrase, reason in _SMALL_TALK),
    key=lambda item: -len(item[0]),
)
_LETTER = re.compile(r"[^\W\d_]")
_VOWELS = set("aeiouyаеёиоуыэюяәіөұүі")
_METADATA_FIELDS = ("interviewee", "interviewer", "outlet")


@dataclass(frozen=True)
class Intake:
    """What a message is. `reason` None: a question. A reason with no `rest`: certainly not
    a question to search. A reason with `rest`: small talk or a question about the source
    that also holds content words the interview does not use as they are written; it is
    searched, and is a question only if the decision answers it with a paragraph."""

    reason: Reason | None = None
    rest: frozenset[str] = frozenset()  # keys of the content words outside the markers

    @property
    def certain(self) -> bool:
        return self.reason is not None and not self.rest


def classify(text: str, vocabulary: Vocabulary, documents: Sequence[Document]) -> Intake:
    """What `text` is, from its words alone."""
    words = [terms.word_key(w) for w in terms.WORD.findall(text)]
    words = [w for w in words if _LETTER.search(w)]
    if not words:
        return Intake(Reason.NO_CONTENT)
    language = terms.language_of(text)
    small_talk, rest = _small_talk(words)
    if small_talk is not None:
        return _unless_interview_words(small_talk, rest, language, vocabulary)
    if all(_empty(w, language) for w in words):
        return Intake(Reason.NO_CONTENT)
    if any(w in SOURCE_WORDS for w in words):
        # The interviewee's, interviewer's and outlet's own words say nothing either way.
        neutral = SOURCE_WORDS | _metadata_words(documents)
        rest = [w for w in words if w not in neutral]
        return _unless_interview_words(Reason.ABOUT_INTERVIEW, rest, language, vocabulary)
    return Intake()


def _unless_interview_words(
    reason: Reason, rest: list[str], language: str, vocabulary: Vocabulary
) -> Intake:
    """`reason`, certain when `rest` has no content word; a question when one of them is a
    word of the interview; else to be settled after the search (another language's word
    for what the interview says is found only then)."""
    content = terms.terms_of(" ".join(w for w in rest if not _empty(w, language)), language)
    if not content:
        return Intake(reason)
    if any({t.key, t.lemma, t.stem} & vocabulary.forms for t in content):
        return Intake()
    return Intake(reason, frozenset(t.key for t in content))


def _small_talk(words: list[str]) -> tuple[Reason | None, list[str]]:
    """The first small-talk phrase in `words` (by position), and the words no phrase took."""
    taken = [False] * len(words)
    found: list[tuple[int, Reason]] = []
    for phrase, reason in _PHRASES:
        n = len(phrase)
        for start in range(len(words) - n + 1):
            span = range(start, start + n)
            if tuple(words[start : start + n]) == phrase and not any(taken[i] for i in span):
                found.append((start, reason))
                for i in span:
                    taken[i] = True
    rest = [w for w, t in zip(words, taken, strict=True) if not t]
    return (min(found)[1] if found else None), rest


def _empty(word: str, language: str) -> bool:
    """A word that asks nothing by itself: a question word, yes/no, a filler, keyboard mash."""
    return word in EMPTY_WORDS or word in terms.STOP.get(language, ()) or _mash(word)


def _mash(word: str) -> bool:
    """One letter over and over, a run along a keyboard row, or a long word with no vowel."""
    if len(word) >= 3 and len(set(word)) == 1:
        return True
    if len(word) >= 4 and any(word in row for row in KEYBOARD_ROWS):
        return True
    return len(word) >= 5 and not (set(word) & _VOWELS)


def _metadata_words(documents: Sequence[Document]) -> frozenset[str]:
    """The words naming who answered, who asked and where: "кто министр?" asks the source."""
    words: set[str] = set()
    for document in documents:
        for field in _METADATA_FIELDS:
            value = getattr(document, field) or ""
            words |= {terms.word_key(w) for w in terms.WORD.findall(value)}
    return frozenset(words)
