"""Answer quality on the labelled set (tests/eval_set.jsonl), with the bundled model.

The floors are what the default pipeline measured when they were set (README, "Answer
quality"), a little below to absorb float noise across CPUs: they catch regressions.
They are below the issue's targets (95% Russian top-1): multilingual-e5-small does not
reach those on deliberately reworded questions; see the README for every method tried.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import ROOT, open_service

from interview_bot.cli import cli
from service.evaluation import evaluate, load_eval_set

EVAL_SET = ROOT / "tests" / "eval_set.jsonl"

FLOORS = {  # group: (top-1, top-3)
    "ru": (0.47, 0.80),
    "en": (0.73, 0.90),
    "kk": (0.76, 0.90),
    "all": (0.57, 0.85),
}


@pytest.fixture(scope="module")
def scores(built_settings, encoder):
    service = open_service(built_settings, encoder)
    return {s.group: s for s in evaluate(service, load_eval_set(EVAL_SET))}


def test_eval_set_has_the_promised_mix():
    items = load_eval_set(EVAL_SET)
    by_language = {lang: [i for i in items if i.language == lang] for lang in ("ru", "en", "kk")}
    assert len(items) >= 60
    assert len([i for i in by_language["ru"] if i.expected]) >= 35
    assert len([i for i in by_language["en"] if i.expected]) >= 10
    assert len([i for i in by_language["kk"] if i.expected]) >= 8
    assert len([i for i in items if i.expected is None]) >= 10


@pytest.mark.parametrize("group", sorted(FLOORS))
def test_top1_and_top3_hold_their_floors(scores, group):
    top1, top3 = FLOORS[group]
    assert scores[group].top1 >= top1
    assert scores[group].top3 >= top3


def test_refusals_hold_their_floors(scores, built_settings, encoder):
    far = [i.question for i in load_eval_set(EVAL_SET) if i.scope == "far"]
    replies = open_service(built_settings, encoder).answer(far)
    assert sum(not r.answered for r in replies) / len(far) >= 0.8
    assert scores["all"].wrongly_refused <= 0.07


def test_eval_command_prints_a_row_per_language(built_settings):
    result = CliRunner().invoke(
        cli, ["--config", str(built_settings.path), "eval", "--set", str(EVAL_SET), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["group"] for r in rows] == ["en", "kk", "ru", "all"]
    assert rows[-1]["on_topic"] + rows[-1]["off_topic"] == len(load_eval_set(EVAL_SET))


def test_eval_refuses_labels_that_are_not_in_the_index(tmp_path, built_settings):
    bad = tmp_path / "set.jsonl"
    bad.write_text('{"question": "x", "language": "ru", "expected": ["nope/1.1"]}\n')
    result = CliRunner().invoke(
        cli, ["--config", str(built_settings.path), "eval", "--set", str(bad)]
    )
    assert result.exit_code == 1
    assert "nope/1.1" in result.output
