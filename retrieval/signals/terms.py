"""Term coverage: which content words of a question the interview never mentions.

It names what a not-covered reply is about ("the interview does not seem to cover this,
e.g. «ВТО»). It does not decide: the labelled rewordings avoid the interview's words on
purpose ("Поднебесная" for Китай, "Кремль" for Москва, "бабки" for инвестиции) while
near-topic questions name neighbours of what it mentions (Таджикистан, ШОС next to Китай,
Россия), so no threshold on these scores separates the two (docs/quality.md).
Ranked, though, the least covered word of a near-topic question is a word the labels call
absent in about two cases of three.

A question's terms are its content words (stop words and, for Russian, function parts of
speech removed). A term is covered when its surface form, lemma (pymorphy3) or Snowball
stem occurs in the corpus; otherwise it is scored by

- navec (Russian words navec knows): the best cosine to a corpus lemma;
- the SAE (anything else: English, Kazakh, misspellings): the share of the word's latent
  mass, from the question's own pass, on latents the corpus fires at least as strongly.

The corpus side (`Vocabulary`) is built at index time; nothing here runs the encoder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np

from retrieval.model.sparse import TokenCodes
from retrieval.signals.wordvectors import DIMENSION, WordVectors

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_KAZAKH_LETTERS = set("әғқңөұүһі")
LANGUAGES = ("ru", "en", "kk")


def _words(text: str) -> set[str]:
    return set(text.split())


# Function words and question words: never a topic. Kept short on purpose; the POS filter
# (Russian) and the similarity scores handle the rest. The country's own name is here too:
# every question to its foreign minister may carry it, and the interview need not.
STOP = {
    "ru": _words(
        """
        а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
        даже для до его ее её ей ему если есть еще ещё же за здесь и из или им их к как какая
        какие каким каких какой каков какова каковы когда кого ком который которые кто ли либо
        между меня мне мной мы на над надо наш не него нее неё нет ни них но ну о об однако он
        она они оно от очень по под после при про раз с сам свой себе себя со так также такой
        там те тем то того тоже той только том тот ту ты у уж уже хотя чего чей чем что чтобы
        чье чья эта эти это этот я чё че щас вообще вдруг реально правда сейчас сегодня теперь
        прежде всего зачем почему отчего откуда куда насколько сколько год время дело вопрос
        случай мочь стать иметь сказать делать сделать говорить хотеть думать знать считать
        являться какой-то казахстан казахстанский республика страна государство астана
        """
    ),
    "en": _words(
        """
        a about above after again against all am an and any are as at be because been before
        being below between both but by can could did do does doing done down during each few
        for from further had has have having he her here hers him his how i if in into is it its
        itself just me more most my no nor not now of off on once only or other our out over own
        same she should so some still such than that the their them then there these they this
        those through to too under until up very was we were what when where which while who
        whom why will with would you your yet r u actually really kazakhstan kazakh year time
        way thing much many get make take need want think
        """
    ),
    "kk": _words(
        """
        мен және да де та те бен пен ма ме ба бе па пе ше қандай қалай неге қашан қанша қай не
        кім бұл осы сол ол олар біз сіз үшін туралы бар жоқ болып болды болады бола болу еді ғой
        ғана тек әлі енді қазір ретінде арасындағы арасында неліктен қаншалықты жатыр жатқан
        отыр қазақстан қазақстанның қазақстанға қазақстанда ел елдің елдер жыл
        """
    ),
}
_RU_FUNCTION_POS = {"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "PRED", "ADVB", "NUMR"}
# What a question asks about, never what it is about: a not-covered reply never names these
# ("the interview does not mention «position»" says nothing). Lemmas, per language.
FRAME = {
    "ru": _words(
        """
        позиция отношение относиться мнение взгляд точка зрение считать думать полагать
        оценивать оценка планировать план собираться ситуация перспектива будущее сказать
        заявить рассказать объяснить значить означать причина цель итог результат роль
        политика подход ответ вопрос новость последний новый текущий нынешний
        """
    ),
    "en": _words(
        """
        position stance view opinion attitude think believe feel consider say said tell
        explain plan going will stand approach relation regarding toward towards status
        situation current future new latest news reason goal result role policy answer
        question happen happening mean meaning
        """
    ),
    "kk": _words(
        """
        ұстанымы ұстаным көзқарас көзқарасы пікір пікірі ойы жоспар жоспары жағдай жағдайы
        мақсаты себебі нәтижесі саясаты жаңалық жаңа қазіргі болашақ
        """
    ),
}
# Russian parts of speech and tags a subject can be: nouns, names, abbreviations, Latin words.
_RU_SUBJECT_TAGS = {"NOUN", "Name", "Surn", "Geox", "Orgn", "Abbr", "LATN", "UNKN"}
# Latin letters as Russian writes them, for names and acronyms ("NATO" is «НАТО»).
_CYRILLIC_OF = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
    "j": "дж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс", "y": "и", "z": "з",
}  # fmt: skip


def language_of(text: str) -> str:
    """'kk' if any Kazakh-only letter occurs, else 'ru' or 'en' by the majority script."""
    lower = text.lower()
    if any(c in _KAZAKH_LETTERS for c in lower):
        return "kk"
    cyrillic = sum("а" <= c <= "я" or c == "ё" for c in lower)
    latin = sum("a" <= c <= "z" for c in lower)
    return "ru" if cyrillic >= latin else "en"


@dataclass(frozen=True)
class Term:
    surface: str  # as written in the question
    key: str  # lower-cased, ё→е, possessive 's dropped
    lemma: str
    stem: str
    subject: bool = True  # a noun or a name, not a frame word: what a reply may name

    @property
    def spellings(self) -> tuple[str, str]:
        """What to look a word vector up by: the form, then the lemma."""
        return (self.key, self.lemma)


@cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def _stemmer(language: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer({"ru": "russian", "en": "english"}[language])


def word_key(word: str) -> str:
    key = word.lower().replace("ё", "е").replace("’", "'")
    return key[:-2] if key.endswith("'s") else key


def terms_of(text: str, language: str) -> list[Term]:
    """The content words of `text`, in order, each once."""
    out: dict[str, Term] = {}
    stop = STOP.get(language, set())
    for word in WORD.findall(text):
        key = word_key(word)
        if key in stop or key in out or (len(key) < 3 and not word.isupper()):
            continue
        frame: set[str] = FRAME.get(language, set())
        if language == "ru":
            parse = _morph().parse(key)[0]
            if parse.tag.POS in _RU_FUNCTION_POS:
                continue
            lemma = parse.normal_form.replace("ё", "е")
            if lemma in stop:
                continue
            stem = _stemmer("ru").stemWord(key)
            tags = {str(parse.tag.POS), *str(parse.tag).replace(" ", ",").split(",")}
            subject = bool(tags & _RU_SUBJECT_TAGS) or word[:1].isupper()
        elif language == "en":
            import simplemma

            lemma = simplemma.lemmatize(key, lang="en")
            stem = _stemmer("en").stemWord(key)
            # No tagger for English: an inflected -ed or -ing form is taken for a verb.
            subject = not (lemma != key and key.endswith(("ed", "ing")))
        else:  # Kazakh: no lemmatiser here; exact forms only, the SAE share does the rest
            lemma = stem = key
            subject = True
        subject = subject and not ({key, lemma} & frame)
        out[key] = Term(word, key, lemma, stem, subject)
    return list(out.values())


def cyrillic(word: str) -> str:
    """A Latin word as Russian spells it, letter by letter: enough for acronyms and most
    names ("nato" → "нато")."""
    return "".join(_CYRILLIC_OF.get(c, c) for c in word)


@dataclass(frozen=True)
class Vocabulary:
    """What the corpus mentions, built at index time."""

    forms: frozenset[str]  # surface keys, lemmas and stems of every corpus word
    lemmas: tuple[str, ...]  # corpus lemmas navec knows, in the order of `lemma_vectors`
    lemma_vectors: np.ndarray  # [V, 300] their normalised navec vectors
    latent_max: np.ndarray | None  # [N] each SAE latent's largest activation in the corpus

    @cached_property
    def by_initial(self) -> dict[str, tuple[str, ...]]:
        """The forms by their first letter, grouped once: a near spelling is looked for
        among them on every question."""
        groups: dict[str, list[str]] = {}
        for form in self.forms:
            groups.setdefault(form[:1], []).append(form)
        return {initial: tuple(forms) for initial, forms in groups.items()}

    def to_json(self) -> dict[str, Any]:
        """The words; the vectors come back from navec and `latent_max` from the latents."""
        return {"forms": sorted(self.forms), "lemmas": list(self.lemmas)}

    @classmethod
    def from_json(
        cls, data: dict[str, Any], vectors: WordVectors, latent_max: np.ndarray | None
    ) -> Vocabulary:
        lemmas = tuple(data["lemmas"])
        return cls(frozenset(data["forms"]), lemmas, _vectors(lemmas, vectors), latent_max)


def build_vocabulary(
    texts: Iterable[tuple[str, str]], vectors: WordVectors, latent_max: np.ndarray | None
) -> Vocabulary:
    """The Vocabulary of (text, language) pairs: paragraphs and interviewer questions."""
    forms: set[str] = set()
    words: set[str] = set()
    for text, language in texts:
        for term in terms_of(text, language):
            forms |= {term.key, term.lemma, term.stem}
            words |= set(term.spellings)
    lemmas = tuple(sorted(w for w in words if vectors.vector(w) is not None))
    return Vocabulary(frozenset(forms), lemmas, _vectors(lemmas, vectors), latent_max)


def _vectors(words: Sequence[str], vectors: WordVectors) -> np.ndarray:
    found = [vectors.vector(w) for w in words]
    if any(v is None for v in found):
        raise ValueError("a vocabulary lemma is not in the word vectors it was built with")
    return np.stack(found) if found else np.zeros((0, DIMENSION), np.float32)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TermCoverage:
    term: Term
    exact: bool
    score: float  # 1.0 when exact; else the navec cosine or the SAE share
    source: str  # "exact", "navec" or "sae"


def word_codes(pieces: Sequence[str], codes: TokenCodes) -> dict[str, TokenCodes]:
    """The question's per-token SAE codes grouped into words (a "▁" starts a word)."""
    words: list[str] = []
    rows: list[list[int]] = []
    for i, piece in enumerate(pieces):
        if piece.startswith("▁") or not rows:
            words.append("")
            rows.append([])
        words[-1] += piece.lstrip("▁")
        rows[-1].append(i)
    out = {}
    for word, members in zip(words, rows, strict=True):
        for part in WORD.findall(word) or [word]:
            out[word_key(part)] = TokenCodes(codes.index[members], codes.value[members])
    return out


def _sae_share(codes: TokenCodes, latent_max: np.ndarray) -> float:
    """Share of a word's latent mass on latents the corpus fires at least as strongly."""
    mass = codes.value.sum(axis=1)
    covered = np.minimum(codes.value, latent_max[codes.index]).sum(axis=1)
    return float(np.mean(covered / np.maximum(mass, 1e-9)))


def coverage(
    content: Sequence[Term],
    language: str,
    vocabulary: Vocabulary,
    vectors: WordVectors,
    words: dict[str, TokenCodes] | None,
) -> tuple[TermCoverage, ...]:
    """How well the corpus covers each content word of a question (its `terms_of`; see the
    module doc)."""
    out = []
    for term in content:
        spellings = {term.key, term.lemma, term.stem}
        if term.key.isascii():  # a name or acronym the interview writes in Cyrillic
            spellings.add(cyrillic(term.key))
        if spellings & vocabulary.forms or _transliterated(term.key, vocabulary):
            out.append(TermCoverage(term, True, 1.0, "exact"))
            continue
        vector = None
        if language == "ru":
            vector = vectors.vector(term.lemma)
            if vector is None:
                vector = vectors.vector(term.key)
        if vector is not None and len(vocabulary.lemmas):
            out.append(
                TermCoverage(term, False, float(np.max(vocabulary.lemma_vectors @ vector)), "navec")
            )
            continue
        codes = _codes_of(term, words or {})
        share = (
            _sae_share(codes, vocabulary.latent_max)
            if codes is not None and vocabulary.latent_max is not None
            else 1.0
        )
        out.append(TermCoverage(term, False, share, "sae"))
    return tuple(out)


def _transliterated(key: str, vocabulary: Vocabulary) -> bool:
    """Whether a Latin name of five letters or more is, spelt in Cyrillic, one letter away
    from a word of the interview ("singapore" and «Сингапуре», "india" and «Индии»)."""
    if not key.isascii() or len(key) < 5:
        return False
    spelt = cyrillic(key)
    return any(
        abs(len(form) - len(spelt)) <= 1 and _one_edit(spelt, form)
        for form in vocabulary.by_initial.get(spelt[:1], ())
    )


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by at most one substitution, insertion or deletion."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :] or a[i:] == b[i + 1 :]


def _codes_of(term: Term, words: dict[str, TokenCodes]) -> TokenCodes | None:
    if term.key in words:
        return words[term.key]
    # The tokenizer split differently (hyphens, apostrophes): a word sharing a prefix.
    return next(
        (c for w, c in words.items() if term.key.startswith(w) or w.startswith(term.key)), None
    )


def least_covered(cover: Sequence[TermCoverage], n: int = 1) -> list[str]:
    """The n non-exact subject terms with the lowest scores, navec-scored ones first (navec
    and SAE scores are on different scales)."""
    rank = {"navec": 0, "sae": 1}
    loose = sorted(
        (c for c in cover if not c.exact and c.term.subject),
        key=lambda c: (rank[c.source], c.score),
    )
    return [c.term.surface for c in loose[:n]]


def uncovered(cover: Sequence[TermCoverage], thresholds: dict[str, float]) -> list[str]:
    """The subject terms below their source's threshold (fitted on dev), least covered
    first: the nouns and names a not-covered reply says the interview does not mention."""
    low = [
        c
        for c in cover
        if not c.exact and c.term.subject and c.score < thresholds.get(c.source, -1.0)
    ]
    return [c.term.surface for c in sorted(low, key=lambda c: c.score - thresholds[c.source])]
