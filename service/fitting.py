"""Fitting decision.json on the dev half of the labelled set: `interview-bot eval --fit`.

Everything the ranking and the decision use that is not code is fitted here, on the dev
half only (the file's own split, service/evaluation.py), so that the test half measures
what a user would get:

1. the signal weights: a simplex grid (step .05) over the signals the index has, scored by
   mean top-1 + .25 mean top-3 over the languages; of the weights within .01 of the best,
   the one nearest their centre (a plateau's middle moves least with the next question);
2. the term thresholds that name uncovered words (most near-topic questions whose named
   words include a labelled absent one, fewest on-topic questions with any named);
3. two logistic regressions on the decision features, P(covered) (on-topic against
   near and far) and P(top hit right), their regularisation chosen by leave-one-group-out
   log-loss (a group is a paragraph's rewordings, or a topic);
4. the thresholds: of those meeting the targets (docs/quality.md) on dev with a safety margin
   (a kind of input has 30-90 questions in a half: one is 1-3 points), the one answering
   with the right paragraph most often, then showing it most often, then refusing the most
   uncovered questions, then showing fewest passages.

Only what reaches the decision is fitted on: a message that intake.py finds is certainly
not a question to search (no content, small talk, a question about the source) never is.

A model without the sparse head is fitted on the signals it has.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.indexing.views import RECIPE
from retrieval.model.loading import model_fingerprint
from retrieval.ranking.ranker import Evidence, Ranker
from retrieval.signals import terms
from retrieval.signals.scoring import SIGNALS, zscore
from retrieval.signals.terms import LANGUAGES

from .decision import (
    MAX_SHOWN,
    DecisionParams,
    FittedFor,
    Logistic,
    feature_names,
    features,
)
from .encoder import Encoder
from .evaluation import Labelled
from .intake import classify
from .settings import Settings
from .snapshot import open_index

GRID_STEP = 0.05
PLATEAU = 0.01
C_VALUES = (0.03, 0.1, 0.3, 1.0, 3.0)
TERM_SOURCES = ("navec", "sae")


@dataclass(frozen=True)
class Limits:
    """Upper bounds on shares of dev questions (`right_shown`: a lower bound)."""

    near_answered: float  # near-topic questions answered with a paragraph
    far_answered: float  # every other kind the interview does not answer, answered
    on_not_covered: float  # on-topic questions refused
    shown: float  # passages per on-topic question
    wrong_answer: float  # on-topic questions answered with a paragraph that is not right
    right_shown: float  # plain questions (canonical, keyword) whose right paragraph is shown


TARGETS = Limits(0.10, 0.02, 0.02, 2.5, 0.03, 0.97)  # docs/quality.md's, on the test half
MARGINS = Limits(0.07, 0.02, 0.015, 2.3, 0.02, 0.975)  # what the dev half must meet
PLAIN = ("canonical", "keyword")


def fit(
    settings: Settings, encoder: Encoder, items: Sequence[Labelled], eval_set: Path
) -> DecisionParams:
    """decision.json's contents for the configured model and index, from the dev half."""
    index = open_index(settings)
    dev = [
        item
        for item in items
        if item.half == "dev"
        and not classify(item.question, index.vocabulary, index.corpus.documents).certain
    ]
    # Evidence holds every signal's raw scores: the weights given here only order the hits.
    ranker = Ranker(index, {"dense": 1.0})
    questions = [item.question for item in dev]
    rankings = ranker.rank(questions, encoder.question_passes(questions), 1)
    spec = settings.model.spec()
    fitted_for = FittedFor(
        model=spec.name,
        model_fingerprint=model_fingerprint(spec),
        recipe=RECIPE,
        signals=index.signals.available,
        eval_set_sha256=hashlib.sha256(Path(eval_set).read_bytes()).hexdigest(),
        dev_questions=len(dev),
        dev_groups=tuple(dict.fromkeys(item.group for item in dev)),
    )
    return fit_params(dev, [r.evidence for r in rankings], fitted_for)


def fit_params(
    items: Sequence[Labelled], evidence: Sequence[Evidence], fitted_for: FittedFor
) -> DecisionParams:
    """Steps 1-4 of the module doc on labelled questions (all dev) and their evidence."""
    signals = tuple(s for s in SIGNALS if s in fitted_for.signals)
    right = [_right(item, ev) for item, ev in zip(items, evidence, strict=True)]
    weights = fit_weights(items, evidence, right, signals)
    fused = [ev.with_weights(weights) for ev in evidence]
    feats = [features(ev) for ev in fused]
    names = feature_names(signals)
    x = np.array([[f[n] for n in names] for f in feats])
    # [Q, 3]: a right paragraph is among the first 1, 2, 3 of the fused order.
    within = np.array(
        [
            [r[ev.order[:n]].any() for n in range(1, MAX_SHOWN + 1)]
            for r, ev in zip(right, fused, strict=True)
        ]
    )
    on = np.array([item.scope == "on" for item in items])
    answerable = on & within[:, 0]
    groups = np.array([item.group for item in items])
    covered = fit_logistic(x, on, names, choose_c(x, on, groups))
    confidence = fit_logistic(x, answerable, names, choose_c(x, answerable, groups))
    cov = np.array([covered(f) for f in feats])
    conf = np.array([confidence(f) for f in feats])
    gap = np.array([f["fused_gap23"] for f in feats])
    t_nc, t_answer, t_third = choose_thresholds(items, within, cov, conf, gap)
    return DecisionParams(
        fitted_for=fitted_for,
        weights=weights,
        term_thresholds=fit_term_thresholds(items, [ev.coverage for ev in evidence]),
        covered=covered,
        confidence=confidence,
        t_not_covered=t_nc,
        t_answer=t_answer,
        t_third=t_third,
    )


def _right(item: Labelled, evidence: Evidence) -> np.ndarray:
    """[C]: which candidates are right answers (none for an uncovered question)."""
    return np.array([p in (item.expected or ()) for p in evidence.paragraphs], bool)


def fit_weights(
    items: Sequence[Labelled],
    evidence: Sequence[Evidence],
    right: Sequence[np.ndarray],
    signals: Sequence[str],
) -> dict[str, float]:
    """Step 1: the plateau-centre weights of the simplex grid (module doc)."""
    if len(signals) == 1:
        return {signals[0]: 1.0}
    on = [i for i, item in enumerate(items) if item.scope == "on"]
    # [S, Q, C] z-scores; a signal a question lacks (navec: not Russian) counts as absent.
    z = np.array([[_z(evidence[i], s) for i in on] for s in signals])
    present = np.array([[s in evidence[i].signals for i in on] for s in signals], float)
    hits = np.array([right[i] for i in on])
    languages = np.array([items[i].language for i in on])
    steps = np.round(np.arange(0, 1 + 1e-9, GRID_STEP), 2)
    grid = np.array(
        [
            (*w, round(1 - sum(w), 2))
            for w in itertools.product(steps, repeat=len(signals) - 1)
            if sum(w) <= 1.0001
        ]
    )
    top1, top3 = np.concatenate(
        [_top1_top3(part, present, z, hits) for part in np.array_split(grid, len(grid) // 256 + 1)],
        axis=1,
    )
    used = [lg for lg in LANGUAGES if (languages == lg).any()]
    objective: np.ndarray = np.mean([top1[:, languages == lg].mean(axis=1) for lg in used], axis=0)
    objective = objective + 0.25 * np.mean(
        [top3[:, languages == lg].mean(axis=1) for lg in used], axis=0
    )
    plateau = grid[objective >= objective.max() - PLATEAU - 1e-9]
    pick = plateau[np.argmin(((plateau - plateau.mean(axis=0)) ** 2).sum(axis=1))]
    return {s: float(w) for s, w in zip(signals, pick, strict=True)}


def _top1_top3(
    grid: np.ndarray, present: np.ndarray, z: np.ndarray, hits: np.ndarray
) -> np.ndarray:
    """[2, G, Q]: for each weighting of `grid`, whether each question's first fused hit is
    right, and whether one of its first three is (a few hundred weightings at a time: the
    [G, Q, C] scores of the whole grid would not fit in memory)."""
    effective = grid[:, :, None] * present[None]  # [G, S, Q]
    total = effective.sum(axis=1, keepdims=True)
    effective = np.divide(effective, total, out=np.zeros_like(effective), where=total > 0)
    fused = np.einsum("gsq,sqc->gqc", effective, z)
    order = np.argsort(-fused, axis=2, kind="stable")[:, :, :3]
    picked = np.take_along_axis(np.broadcast_to(hits, fused.shape), order, axis=2)
    return np.stack([picked[:, :, 0], np.any(picked, axis=2)])


def _z(evidence: Evidence, signal: str) -> np.ndarray:
    scores = evidence.signals.get(signal)
    return zscore(scores) if scores is not None else np.zeros(len(evidence.fused))


def choose_c(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """The regularisation with the least leave-one-group-out log-loss."""
    best = (np.inf, C_VALUES[0])
    for c in C_VALUES:
        loss = 0.0
        for g in np.unique(groups):
            train, test = groups != g, groups == g
            if len(np.unique(y[train])) < 2:
                continue
            model, mean, scale = _regression(x[train], y[train], c)
            p = np.clip(model.predict_proba((x[test] - mean) / scale)[:, 1], 1e-6, 1 - 1e-6)
            loss -= float(np.sum(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p)))
        if loss < best[0]:
            best = (loss, c)
    return best[1]


def fit_logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str], c: float) -> Logistic:
    model, mean, scale = _regression(x, y, c)
    return Logistic(
        tuple(names),
        tuple(mean.tolist()),
        tuple(scale.tolist()),
        tuple(model.coef_[0].tolist()),
        float(model.intercept_[0]),
        c,
    )


def _regression(x: np.ndarray, y: np.ndarray, c: float) -> tuple[Any, np.ndarray, np.ndarray]:
    """scikit-learn's logistic regression on standardised features, and the standardisation."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    return LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y), mean, scale


def choose_thresholds(
    items: Sequence[Labelled],
    within: np.ndarray,
    cov: np.ndarray,
    conf: np.ndarray,
    gap: np.ndarray,
) -> tuple[float, float, float]:
    """Step 4: (t_not_covered, t_answer, t_third).

    Of the points meeting MARGINS (else TARGETS), the best by (answered right, right
    shown, uncovered refused, -passages shown), the first in (t_not_covered, t_answer,
    t_third) order on ties; with none, the best by right shown less twice the targets'
    overshoot. Every share is counted on the whole grid at once: [t_not_covered, t_answer,
    t_third].
    """
    scope = np.array([item.scope for item in items])
    on, near, far = (scope == s for s in ("on", "near", "far"))
    plain = np.array([item.kind in PLAIN for item in items])
    t_ncs = np.unique(np.r_[0.0, cov[on]])
    t_ncs = t_ncs[(cov[on][:, None] < t_ncs).mean(axis=0) <= TARGETS.on_not_covered + 1e-9]
    t_answers = np.unique(np.r_[conf, 1.01])
    t_thirds = np.unique(np.r_[-np.inf, np.quantile(gap[on], np.linspace(0, 1, 21)), np.inf])
    refused = cov < t_ncs[:, None]  # [N, Q]
    sure = conf >= t_answers[:, None]  # [A, Q]
    answered = ~refused[:, None, :] & sure[None, :, :]  # [N, A, Q]
    uncertain = ~refused[:, None, :] & ~sure[None, :, :]
    third = (gap < t_thirds[:, None]).astype(np.int64)  # [T, Q]: 3 passages rather than 2
    r1, r2, r3 = within[:, 0], within[:, 1], within[:, 2]

    def count(mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return (mask & rows).sum(axis=-1)

    def share(mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return count(mask, rows) / rows.sum() if rows.any() else np.zeros(mask.shape[:-1])

    def shown_right(rows: np.ndarray) -> np.ndarray:
        """[N, A, T]: the share of `rows` whose right paragraph is among what is shown."""
        unc = (uncertain & rows).astype(np.int64)
        return (
            (count(answered & r1, rows) + count(uncertain & r2, rows))[:, :, None]
            + np.einsum("naq,tq->nat", unc, third * (r3 & ~r2))
        ) / max(1, rows.sum())

    n_on = on.sum()
    unc_on = (uncertain & on).astype(np.int64)
    right_shown = shown_right(on)
    plain_shown = shown_right(on & plain)
    passages = (
        (count(answered, on) + 2 * count(uncertain, on))[:, :, None]
        + np.einsum("naq,tq->nat", unc_on, third)
    ) / n_on
    grid = right_shown.shape

    def per_point(x: np.ndarray) -> np.ndarray:
        """A share that does not depend on the later thresholds, on the whole grid."""
        return np.broadcast_to(x.reshape(x.shape + (1,) * (3 - x.ndim)), grid)

    wrong_answer = per_point(share(answered & ~r1, on))
    answered_right = per_point(share(answered & r1, on))
    near_answered = per_point(share(answered, near))
    far_answered = per_point(share(answered, far))
    on_refused = per_point(share(refused, on))
    off_refused = per_point(share(refused, near | far))

    def meets(limits: Limits) -> np.ndarray:
        return (
            (near_answered <= limits.near_answered)
            & (far_answered <= limits.far_answered)
            & (on_refused <= limits.on_not_covered)
            & (passages <= limits.shown)
            & (wrong_answer <= limits.wrong_answer)
            & (plain_shown >= limits.right_shown)
        )

    keys = [
        np.round(answered_right, 6),
        np.round(right_shown, 6),
        np.round(off_refused, 6),
        -passages,
    ]
    best = _first_best(keys, meets(MARGINS))
    if best is None:
        best = _first_best(keys, meets(TARGETS))
    if best is None:
        overshoot = (
            np.maximum(0, near_answered - TARGETS.near_answered)
            + np.maximum(0, far_answered - TARGETS.far_answered)
            + np.maximum(0, passages - TARGETS.shown)
            + np.maximum(0, wrong_answer - TARGETS.wrong_answer)
            + np.maximum(0, TARGETS.right_shown - plain_shown)
        )
        best = _first_best([right_shown - 2 * overshoot, off_refused, -passages], None)
    assert best is not None  # every point is allowed, and there is one at least
    i, j, k = np.unravel_index(best, grid)
    return float(t_ncs[i]), float(t_answers[j]), float(t_thirds[k])


def _first_best(keys: Sequence[np.ndarray], allowed: np.ndarray | None) -> int | None:
    """The flat index of the lexicographically greatest keys among `allowed` points, the
    first one on ties; None when no point is allowed."""
    candidates = np.flatnonzero(allowed) if allowed is not None else np.arange(keys[0].size)
    for key in keys:
        if not len(candidates):
            return None
        values = key.ravel()[candidates]
        candidates = candidates[values == values.max()]
    return int(candidates[0]) if len(candidates) else None


def fit_term_thresholds(
    items: Sequence[Labelled], coverage: Sequence[Sequence[terms.TermCoverage]]
) -> dict[str, float]:
    """Step 2: per source, the threshold that names a labelled absent word for the most
    near-topic questions, less those it names a word for that is not absent (the words
    named are only ever shown when the interview does not answer)."""
    out = {}
    for source in TERM_SOURCES:
        scores = {round(c.score, 3) for cover in coverage for c in cover if c.source == source}
        best = (-np.inf, -1.0)
        for threshold in [-1.0, *sorted(scores)]:
            gain = 0
            for item, cover in zip(items, coverage, strict=True):
                if item.scope != "near" or not item.absent:
                    continue
                named = {
                    c.term.key
                    for c in cover
                    if c.source == source and c.term.subject and c.score < threshold
                }
                absent = {terms.word_key(w) for a in item.absent for w in terms.WORD.findall(a)}
                gain += bool(named & absent) - bool(named - absent)
            if gain > best[0]:
                best = (gain, threshold)
        out[source] = float(best[1])
    return out
