"""Hostile or mistyped rulebooks become lint problems naming file and line, never tracebacks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.screening import RulebookError, load_rulebook
from patrol.screening.loader import read_rulebook

from .conftest import write_rulebook

GOOD_RULE = """\
schema: 1
threshold: 1.0
rules:
  - id: slang.test
    kind: phrases
    weight: 1.0
    phrases: [高仿]
  - id: fuzzy.test
    kind: brand_variant
    weight: 0.5
    variant: fuzzy
    min_length: 5
  - id: floor.test
    kind: price_floor
    weight: 0.5
    below: 1.0
brands:
  - id: acme
    names: {en: Acme}
"""


def _edit(replace: str, by: str) -> str:
    assert replace in GOOD_RULE
    return GOOD_RULE.replace(replace, by, 1)


def _problems(folder: Path) -> list[str]:
    return [str(p) for p in read_rulebook(folder).problems]


def test_the_base_rulebook_is_clean(tmp_path: Path) -> None:
    assert _problems(write_rulebook(tmp_path, GOOD_RULE)) == []


@pytest.mark.parametrize(
    ("replace", "by", "line", "rule_id", "words"),
    [
        ("threshold: 1.0", "threshold: .nan", 2, None, "threshold must be a finite"),
        ("threshold: 1.0", "threshold: .inf", 2, None, "threshold must be a finite"),
        ("    weight: 1.0", "    weight: .nan", 6, "slang.test", "weight must be a finite"),
        ("    weight: 1.0", "    weight: .inf", 6, "slang.test", "weight must be a finite"),
        ("    below: 1.0", "    below: .nan", 16, "floor.test", "below must be a finite"),
        ("    min_length: 5", "    min_length: .inf", 12, "fuzzy.test", "min_length must be a"),
        ("    min_length: 5", "    min_length: 2.5", 12, "fuzzy.test", "min_length must be a"),
    ],
    ids=[
        "nan-threshold",
        "inf-threshold",
        "nan-weight",
        "inf-weight",
        "nan-below",
        "inf-min-length",
        "fractional-min-length",
    ],
)
def test_non_finite_or_out_of_range_numbers_are_problems(
    tmp_path: Path, replace: str, by: str, line: int, rule_id: str | None, words: str
) -> None:
    folder = write_rulebook(tmp_path, _edit(replace, by))
    problems = _problems(folder)
    where = f"{folder / 'book.yaml'}:{line}:"
    assert any(p.startswith(where) and words in p for p in problems), problems
    if rule_id:
        assert any(f" {rule_id}:" in p for p in problems), problems
    with pytest.raises(RulebookError):
        load_rulebook(folder)


@pytest.mark.parametrize(
    ("replace", "by", "where", "key"),
    [
        # in a rule: the second key's line, and the rule's id
        ("    weight: 1.0", "    weight: 1.0\n    weight: 0.0", "7: slang.test:", "weight"),
        ("threshold: 1.0", "threshold: 1.0\nthreshold: 0.1", "3:", "threshold"),  # top level
    ],
)
def test_a_duplicate_key_is_a_problem_at_the_second_key(
    tmp_path: Path, replace: str, by: str, where: str, key: str
) -> None:
    folder = write_rulebook(tmp_path, _edit(replace, by))
    problems = _problems(folder)
    assert any(
        p.startswith(f"{folder / 'book.yaml'}:{where}") and f"duplicate key {key!r}" in p
        for p in problems
    ), problems


def test_a_merge_key_may_be_overridden_without_a_duplicate_problem(tmp_path: Path) -> None:
    text = _edit(
        "    weight: 1.0\n    phrases", "    <<: {weight: 2.0}\n    weight: 1.0\n    phrases"
    )
    folder = write_rulebook(tmp_path, text)
    assert _problems(folder) == []
    assert load_rulebook(folder) is not None


@pytest.mark.parametrize(
    ("replace", "by", "line", "rule_id", "words"),
    [
        (
            "    names: {en: Acme}",
            "    names: {en: Acme}\n    trademarks: 5",
            20,
            "acme",
            "trademarks",
        ),
        (
            "    names: {en: Acme}",
            "    names: {en: Acme}\n    official_shops: 7",
            20,
            "acme",
            "official_shops",
        ),
        ("    kind: phrases", "    kind: [phrases]", 5, "slang.test", "unknown kind"),
        ("    variant: fuzzy", "    variant: [fuzzy]", 11, "fuzzy.test", "variant"),
        (
            "    phrases: [高仿]",
            "    phrases: [高仿]\n    requires_brand: 'no'",
            8,
            "slang.test",
            "requires_brand must be true or false",
        ),
    ],
    ids=["trademarks-number", "official-shops-number", "kind-list", "variant-list", "flag-text"],
)
def test_wrong_types_are_problems_not_tracebacks(
    tmp_path: Path, replace: str, by: str, line: int, rule_id: str, words: str
) -> None:
    folder = write_rulebook(tmp_path, _edit(replace, by))
    problems = _problems(folder)
    where = f"{folder / 'book.yaml'}:{line}: {rule_id}:"
    assert any(p.startswith(where) and words in p for p in problems), problems


def test_a_single_official_shop_string_is_one_shop_not_its_letters(tmp_path: Path) -> None:
    folder = write_rulebook(
        tmp_path, _edit("    names: {en: Acme}", "    names: {en: Acme}\n    official_shops: acme")
    )
    source = read_rulebook(folder)
    assert source.problems == ()
    assert [shop.shop for shop in source.brands[0].official_shops] == ["acme"]


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs /proc")
def test_an_unreadable_rule_file_is_a_problem_naming_it(tmp_path: Path) -> None:
    folder = write_rulebook(tmp_path, GOOD_RULE)
    os.symlink("/proc/self/mem", folder / "mem.yaml")
    problems = _problems(folder)
    assert any(p.startswith(f"{folder / 'mem.yaml'}:1:") and "cannot read" in p for p in problems)


def test_deep_nesting_is_a_problem_naming_the_file(tmp_path: Path) -> None:
    folder = write_rulebook(tmp_path, GOOD_RULE + "x: " + "[" * 5000 + "]" * 5000 + "\n")
    problems = _problems(folder)
    assert any(
        p.startswith(f"{folder / 'book.yaml'}:") and "nested too deeply" in p for p in problems
    ), problems


def test_lint_cli_lists_bad_input_without_a_traceback(tmp_path: Path) -> None:
    text = _edit("threshold: 1.0", "threshold: .nan")
    text = text.replace("    kind: phrases", "    kind: [phrases]", 1)
    text = text.replace("    weight: 0.5", "    weight: 0.5\n    weight: .inf", 1)
    folder = write_rulebook(tmp_path, text)
    result = CliRunner().invoke(
        cli, ["rules", "lint", "--rules", str(folder)], catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    book = folder / "book.yaml"
    assert f"{book}:2:" in result.output and "threshold" in result.output
    assert f"{book}:5: slang.test:" in result.output
    assert f"{book}:11: fuzzy.test:" in result.output and "duplicate key 'weight'" in result.output


def test_a_key_overriding_an_aliased_merge_is_not_a_duplicate(tmp_path: Path) -> None:
    text = _edit(
        "    weight: 1.0\n    phrases: [高仿]",
        "    <<: &base {<<: {weight: 3.0}, weight: 2.0}\n    phrases: [高仿]",
    )
    text += "x: *base\n"
    problems = _problems(write_rulebook(tmp_path, text))
    assert not any("duplicate" in p for p in problems), problems


def test_an_alias_bomb_in_a_rulebook_stays_small_and_is_a_problem(tmp_path: Path) -> None:
    """A guard: the rulebook loader shares aliased values (it never expands them)."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    text = _edit("    phrases: [高仿]", "    phrases: *a9")
    folder = write_rulebook(tmp_path, "\n".join(lines) + "\n" + text)
    problems = _problems(folder)
    assert any(" slang.test: phrases[0] must be a string" in p for p in problems), problems
