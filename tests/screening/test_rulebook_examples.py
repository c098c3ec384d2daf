"""The rulebook's labelled examples: every rule fires where it should, and the clean
baseline (legitimate listings) raises no flag — a new false positive fails CI."""

from __future__ import annotations

from itertools import chain

import pytest

from patrol.screening import Rulebook
from patrol.screening.evaluation import evaluate, example_files, read_corpus
from patrol.screening.loader import read_rulebook
from patrol.screening.rulebook import build_rulebook

from .conftest import RULES


@pytest.fixture(scope="module")
def examples(rulebook: Rulebook) -> list:  # type: ignore[type-arg]
    files = example_files(rulebook)
    assert files, "no *.examples.jsonl beside the rule files"
    return list(chain.from_iterable(read_corpus(path) for path in files))


def test_the_clean_baseline_raises_no_flag(rulebook: Rulebook, examples: list) -> None:  # type: ignore[type-arg]
    source = read_rulebook(RULES)
    result = evaluate(examples, rulebook, lambda inline: build_rulebook(source, inline))
    false_positives = [m for m in result.mistakes if m["why"] == "false positive"]
    assert false_positives == [], false_positives
    assert result.mistakes == [], result.mistakes


def test_every_rule_has_examples_both_ways(rulebook: Rulebook, examples: list) -> None:  # type: ignore[type-arg]
    by_rule: dict[str, set[str]] = {}
    for item in examples:
        if item.rule:
            by_rule.setdefault(item.rule, set()).add(item.expect)
    missing = sorted(set(rulebook.rules) - set(by_rule))
    assert missing == []
    assert sum(1 for item in examples if item.expect == "clear") >= 30


def test_every_brand_mention_in_the_clean_baseline_stays_clear(
    rulebook: Rulebook, examples: list
) -> None:  # type: ignore[type-arg]
    clean = [item for item in examples if item.expect == "clear"]
    result = evaluate(clean, rulebook, lambda inline: build_rulebook(read_rulebook(RULES), inline))
    assert result.overall.fp == 0
