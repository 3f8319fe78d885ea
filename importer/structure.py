"""Blocks → questions, answer paragraphs and section headings, or a refusal.

Three layouts are recognised, tried in this order, each only on evidence it can point to:

* labels before the turns: `Вопрос:`/`Ответ:`, `Question:`/`Answer:`, `Сұрақ:`/`Жауап:`,
  `Корр.:`, `— Корр.:`, a name or initials (`Е. Идрисов:`). Which speaker asks is known from
  the label (`Вопрос`, `Корр.`), or else it is the one whose turns end in "?" and the other's
  do not;
* emphasis: questions in bold (or italic), answers plain, often as dash dialogue ("— " before
  the question and the answer's first paragraph). The interview starts at the first
  emphasised block that asks something, and most questions must ask;
* plain dash dialogue: every "— " paragraph a turn, questions and answers alternating, the
  questions ending in "?".

A line in capitals, or a heading (<h2>, a Word Heading) that does not ask, between answers is
a section heading. Blocks before the first question are the lead. When none of the layouts
fits, the source is refused: importing a guess would put words in an official's mouth.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .blocks import Block, Refused

_DASH = "—–―-"
_DASH_START = re.compile(rf"^[{_DASH}]\s+")
# A label: a few words (or initials) before a colon at the start of a paragraph.
_LABEL = re.compile(
    rf"^[{_DASH}]?\s*(?P<label>[^\W\d_][\w.’'\- ]{{0,40}}?)\s*:\s*(?P<rest>.*)$",
    re.DOTALL,
)
_QUESTION_LABELS = {
    "вопрос", "question", "q", "сұрақ", "корр", "корреспондент", "журналист", "интервьюер",
    "interviewer", "ведущий", "ведущая", "тілші", "журналистка",
}  # fmt: skip
_ANSWER_LABELS = {"ответ", "answer", "a", "жауап"}
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LOWER = "a-zа-яёәғқңөұүһі"
# `Е. Идрисов`, `Е.А. Идрисов`, `Идрисов Е.`, `Ерлан Идрисов`: a person, not a role.
_NAME = re.compile(
    rf"^(?:[{_UPPER}]\.\s?){{1,2}}[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?$"
    rf"|^[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?\s(?:[{_UPPER}]\.\s?){{1,2}}$"
    rf"|^[{_UPPER}][{_LOWER}]+(?:\s[{_UPPER}][{_LOWER}]+){{1,2}}$"
)
_ROLE = re.compile(rf"^[{_UPPER}][{_LOWER}]*\.?(?:\s[{_LOWER}{_UPPER}][{_LOWER}]*\.?){{0,3}}$")
# Who asked, as the lead or the last line states it.
_INTERVIEWER_LINE = re.compile(
    r"^(?:беседовал[аи]?|беседу вел[аи]?|интервью (?:взял[аи]?|подготовил[аи]?)|"
    r"interviewed by|сұхбаттасқан)\s*:?\s*(?P<name>[^.,;:!?]{3,60})\.?$",
    re.IGNORECASE,
)
_TRAILER = re.compile(r"^(?:фото|источник|source|photo|видео|video)\s*:", re.IGNORECASE)
_CLOSERS = "\"'»”“)]… "


@dataclass(frozen=True)
class Answer:
    question: str
    paragraphs: tuple[str, ...]
    section: str | None = None  # the heading this answer follows, in capitals as written


@dataclass(frozen=True)
class Interview:
    answers: tuple[Answer, ...]
    layout: str  # labels, bold, italic, dash
    interviewer: str | None = None
    interviewee: str | None = None

    @property
    def headings(self) -> tuple[str, ...]:
        seen: list[str] = []
        for answer in self.answers:
            if answer.section and (not seen or seen[-1] != answer.section):
                seen.append(answer.section)
        return tuple(seen)


def asks(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith("?")


def is_caps(text: str) -> bool:
    # The corpus reads a line as a heading by this same test.
    return sum(c.isupper() for c in text) >= 3 and not any(c.islower() for c in text)


def is_heading(block: Block) -> bool:
    if asks(block.text):
        return False
    return is_caps(block.text) or block.heading


def undash(text: str) -> str:
    return _DASH_START.sub("", text, count=1)


def find_interview(blocks: Sequence[Block], name: str) -> Interview:
    blocks = [b for b in blocks if b.text]
    for strategy in (_by_labels, _by_emphasis, _by_dashes):
        interview = strategy(blocks)
        if interview is not None and interview.answers:
            return _with_trailer_removed(interview, blocks)
    lines = [b.text if len(b.text) <= 70 else b.text[:67] + "..." for b in blocks[:3]]
    seen = " / ".join(f"«{line}»" for line in lines) if lines else "no text at all"
    raise Refused(f"no questions and answers found in {name}; it begins: {seen}")


# --- building -----------------------------------------------------------------------------


@dataclass
class _Draft:
    answers: list[Answer] = field(default_factory=list)
    question: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    section: str | None = None
    next_section: str | None = None
    broken: bool = False  # a question with no answer, or an answer with no question

    def heading(self, text: str) -> None:
        self.close()
        self.next_section = text.upper()

    def ask(self, text: str) -> None:
        self.close()
        self.question = [text] if text else []
        self.section = self.next_section

    def answer(self, text: str) -> None:
        if not self.question:
            self.broken = True
        if text:
            self.paragraphs.append(text)

    def close(self) -> None:
        if self.question and self.paragraphs:
            question = " ".join(self.question)
            self.answers.append(Answer(question, tuple(self.paragraphs), self.section))
        elif self.question or self.paragraphs:
            self.broken = True
        self.question, self.paragraphs = [], []

    def result(self) -> list[Answer] | None:
        self.close()
        return None if self.broken else self.answers


def _lead_heading(blocks: Sequence[Block], first: int) -> str | None:
    # A heading right before the first question is that question's section.
    if first > 0 and is_heading(blocks[first - 1]):
        return blocks[first - 1].text.upper()
    return None


# --- labels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Turn:
    speaker: str  # the label, normalised
    label: str  # as written
    rest: str


def _label(block: Block) -> _Turn | None:
    if is_caps(block.text):
        return None
    match = _LABEL.match(block.text)
    if match is None:
        return None
    label = match["label"].strip()
    speaker = label.rstrip(".").casefold()
    known = speaker in _QUESTION_LABELS or speaker in _ANSWER_LABELS
    if not known and not (_NAME.match(label) or _ROLE.match(label)):
        return None
    return _Turn(speaker, label, match["rest"].strip())


def _by_labels(blocks: Sequence[Block]) -> Interview | None:
    turns = [_label(b) for b in blocks]
    counts = Counter(t.speaker for t in turns if t is not None)
    known_q = {s for s in counts if s in _QUESTION_LABELS}
    known_a = {s for s in counts if s in _ANSWER_LABELS}
    # A name or role counts as a speaker only when it speaks more than once; a single
    # "Во-первых:" in an answer is not a turn.
    others = {s for s, n in counts.items() if n >= 2 and s not in known_q | known_a}
    if known_q:
        askers, answerers = known_q, known_a or others
    elif others or known_a:
        speakers = others | known_a
        asker = _asker(turns, speakers)
        askers = {asker} - known_a if asker is not None else set()
        answerers = speakers - askers
    else:
        return None
    if not askers:
        return None
    labelled_answers = bool(answerers)
    first = next((i for i, t in enumerate(turns) if t is not None and t.speaker in askers), None)
    if first is None:
        return None
    draft = _Draft(next_section=_lead_heading(blocks, first))
    in_question = False
    interviewer = interviewee = None
    for block, turn in zip(blocks[first:], turns[first:], strict=True):
        if turn is not None and turn.speaker in askers:
            draft.ask(undash(turn.rest))
            in_question = True
            interviewer = interviewer or turn.label
        elif turn is not None and turn.speaker in answerers:
            draft.answer(undash(turn.rest))
            in_question = False
            interviewee = interviewee or turn.label
        elif is_heading(block):
            draft.heading(block.text)
            in_question = False
        elif in_question and labelled_answers:
            draft.question.append(block.text)
        else:
            draft.answer(undash(block.text) if in_question else block.text)
            in_question = False
    answers = draft.result()
    if not answers:
        return None
    return Interview(
        tuple(answers),
        layout="labels",
        interviewer=interviewer if interviewer and _NAME.match(interviewer) else None,
        interviewee=interviewee if interviewee and _NAME.match(interviewee) else None,
    )


def _asker(turns: Sequence[_Turn | None], speakers: set[str]) -> str | None:
    """The speaker whose turns ask when the others' do not, or None if that is unclear."""
    asked: Counter[str] = Counter()
    spoke: Counter[str] = Counter()
    for turn in turns:
        if turn is not None and turn.speaker in speakers:
            spoke[turn.speaker] += 1
            asked[turn.speaker] += asks(turn.rest)
    share = {s: asked[s] / spoke[s] for s in spoke}
    ranked = sorted(share, key=share.__getitem__, reverse=True)
    if not ranked or share[ranked[0]] < 0.5:
        return None
    if len(ranked) > 1 and share[ranked[1]] >= share[ranked[0]] / 2:
        return None
    return ranked[0]


# --- emphasis -----------------------------------------------------------------------------


def _by_emphasis(blocks: Sequence[Block]) -> Interview | None:
    results = []
    for layout, emphasised in (
        ("bold", lambda b: b.bold),
        ("italic", lambda b: b.italic and not b.bold),
        ("heading", lambda b: b.heading and asks(b.text)),
    ):
        answers = _emphasised(blocks, emphasised)
        if answers:
            results.append((sum(asks(a.question) for a in answers), layout, answers))
    if not results:
        return None
    _, layout, answers = max(results, key=lambda r: (r[0], len(r[2])))
    return Interview(tuple(answers), layout=layout)


def _emphasised(
    blocks: Sequence[Block], emphasised: Callable[[Block], bool]
) -> list[Answer] | None:
    def question(block: Block) -> bool:
        return emphasised(block) and (asks(block.text) or not is_heading(block))

    first = next((i for i, b in enumerate(blocks) if question(b) and asks(b.text)), None)
    if first is None:
        return None
    draft = _Draft(next_section=_lead_heading(blocks, first))
    previous_was_question = False
    for block in blocks[first:]:
        if question(block):
            if previous_was_question:
                draft.question.append(undash(block.text))
            else:
                draft.ask(undash(block.text))
            previous_was_question = True
            continue
        if is_heading(block):
            draft.heading(block.text)
        else:
            draft.answer(undash(block.text) if previous_was_question else block.text)
        previous_was_question = False
    if draft.question and not draft.paragraphs:
        # A closing emphasised line ("Photo: ...", a byline) asks nothing and answers nothing.
        draft.question = []
    answers = draft.result()
    if not answers or len(answers) < 2 or sum(asks(a.question) for a in answers) * 2 < len(answers):
        return None
    return answers


# --- plain dash dialogue ------------------------------------------------------------------


def _by_dashes(blocks: Sequence[Block]) -> Interview | None:
    first = next(
        (i for i, b in enumerate(blocks) if _DASH_START.match(b.text) and asks(b.text)), None
    )
    if first is None:
        return None
    draft = _Draft(next_section=_lead_heading(blocks, first))
    asking = False
    for block in blocks[first:]:
        if _DASH_START.match(block.text):
            asking = not asking
            (draft.ask if asking else draft.answer)(undash(block.text))
        elif is_heading(block):
            draft.heading(block.text)
            asking = False
        elif asking:
            # A question in several paragraphs is rare; a missing dash before an answer is
            # not: neither is told apart from the other, so neither is guessed.
            return None
        else:
            draft.answer(block.text)
    answers = draft.result()
    if not answers or len(answers) < 2:
        return None
    if sum(asks(a.question) for a in answers) * 2 < len(answers) * 2 - 1:
        return None
    return Interview(tuple(answers), layout="dash")


# --- the lines after the interview ----------------------------------------------------------


def _with_trailer_removed(interview: Interview, blocks: Sequence[Block]) -> Interview:
    """Drop a byline or photo credit that ends the last answer; a byline names the
    interviewer."""
    answers = list(interview.answers)
    last = answers[-1]
    paragraphs = list(last.paragraphs)
    interviewer = interview.interviewer
    while len(paragraphs) > 1 and (
        _INTERVIEWER_LINE.match(paragraphs[-1]) or _TRAILER.match(paragraphs[-1])
    ):
        if match := _INTERVIEWER_LINE.match(paragraphs.pop()):
            interviewer = interviewer or match["name"].strip()
    answers[-1] = Answer(last.question, tuple(paragraphs), last.section)
    if interviewer is None:
        for block in blocks:
            if match := _INTERVIEWER_LINE.match(block.text):
                interviewer = match["name"].strip()
                break
    return Interview(
        tuple(answers),
        layout=interview.layout,
        interviewer=interviewer,
        interviewee=interview.interviewee,
    )
