"""Short topic labels for interviewer questions, for buttons and lists.

A sidecar may name each question's topic (`topics`); otherwise the label is the span of
the question that says best what the question and its answer are about: every run of one
to five words between punctuation that neither starts nor ends on a function word is a
candidate, and the one whose embedding is closest to both the question and the answer
wins (the approach of KeyBERT). A label is always words the interviewer used, so it never
invents a topic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

MAX_WORDS = 5
MAX_CHARS = 40
# A span that begins or ends on one of these reads as a fragment ("и новых", "перед вашим").
_FUNCTION_WORD_LIST = """
    а без бы был была были было быть в вам вами вас ваш ваша вашего вашей вашим ваши во вот вы
    где да для до его её если есть же за и из или им их к как какие какой каких каким когда
    ко кто ли либо мы на над нас наш не него нее нет ни но о об однако он она они оно от по
    под при про с со так также там те тем то того только том тот ту у уже чем что чтобы эта
    эти этим этих это этого этой этом этот является ещё очень ряд ряда ряде данная данный
    the a an and or of to in on at for by with from is are was were be been do does did how
    what which who why when where will would can could should this that these those it its
    your our their you we they he she has have had not no than then there as about into
    және мен да де ма ме ба бе па пе қалай неге қандай қашан қай кім не бұл сол осы
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())
_BREAKS = re.compile(r"[.,:;!?…«»\"“”()\[\]—–]")


def candidates(question: str) -> list[str]:
    """Spans of the question that could serve as its label, in order of appearance."""
    found: dict[str, None] = {}
    for run in _BREAKS.split(question):
        words = run.split()
        for start in range(len(words)):
            for end in range(start + 1, min(start + MAX_WORDS, len(words)) + 1):
                span = words[start:end]
                if span[0].lower() in _FUNCTION_WORDS or span[-1].lower() in _FUNCTION_WORDS:
                    continue
                text = " ".join(span)
                if len(text) <= MAX_CHARS:
                    found[text] = None
    return list(found)


def derive_label(
    question: str,
    question_vector: np.ndarray,
    answer_vector: np.ndarray,
    vector_of: Mapping[str, np.ndarray],
) -> str:
    """The candidate span closest to both the question and its answer."""
    spans = candidates(question)
    if not spans:
        return _sentence_case(_shorten(question))
    matrix = np.stack([vector_of[s] for s in spans])
    scores = matrix @ question_vector + matrix @ answer_vector
    return _sentence_case(spans[int(np.argmax(scores))])


def mean_vector(vectors: Sequence[np.ndarray]) -> np.ndarray:
    mean = np.mean(vectors, axis=0)
    return mean / np.linalg.norm(mean)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
