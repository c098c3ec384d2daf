"""A broken rulebook stops every command with file, line and rule id; lint lists them all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.screening import RulebookError, load_rulebook
from patrol.screening.loader import read_rulebook

from .conftest import RULES, write_rulebook

GOOD_RULE = """\
schema: 1
threshold: 1.0
rules:
  - id: slang.test
    kind: phrases
    weight: 1.0
    phrases: [高仿]
brands:
  - id: acme
    names: {en: Acme}
"""


@pytest.mark.parametrize(
    ("replace", "by", "line", "rule_id", "message"),
    [
        ("    phrases: [高仿]", "    phrases: [高仿", 8, None, "YAML syntax error"),
        (
            "    weight: 1.0",
            "    weight: 1.0\n    colour: red",
            7,
            "slang.test",
            "unknown key 'colour'",
        ),
        (
            "brands:",
            "  - id: slang.test\n    kind: phrases\n    weight: 1\n    phrases: [x]\nbrands:",
            8,
            "slang.test",
            "duplicate",
        ),
        (
            "    phrases: [高仿]",
            "    patterns: ['(unclosed']",
            7,
            "slang.test",
            "bad regular expression",
        ),
        ("    weight: 1.0", "    weight: -0.5", 6, "slang.test", "negative"),
        (
            "    names: {en: Acme}",
            "    names: {en: Acme}\n    aliases: ['', Acme Inc]",
            11,
            "acme",
            "aliases[0] is empty",
        ),
        ("    kind: phrases", "    kind: magic", 5, "slang.test", "unknown kind"),
    ],
    ids=[
        "syntax",
        "unknown-key",
        "duplicate-id",
        "bad-regex",
        "negative-weight",
        "empty-alias",
        "unknown-kind",
    ],
)
def test_each_problem_names_file_line_and_rule(
    tmp_path: Path, replace: str, by: str, line: int, rule_id: str | None, message: str
) -> None:
    assert replace in GOOD_RULE
    folder = write_rulebook(tmp_path, GOOD_RULE.replace(replace, by, 1))
    where = f"{folder / 'book.yaml'}:{line}:"
    with pytest.raises(RulebookError) as raised:
        load_rulebook(folder)
    text = raised.value.message
    assert text.startswith(where), text
    assert message in text
    if rule_id:
        assert f" {rule_id}:" in text

    result = CliRunner().invoke(cli, ["rules", "lint", "--rules", str(folder)])
    assert result.exit_code == 2
    assert where in result.output and message in result.output
    assert "Traceback" not in result.output


def test_lint_reports_every_problem(tmp_path: Path) -> None:
    broken = GOOD_RULE.replace("    weight: 1.0", "    weight: -1\n    colour: red")
    source = read_rulebook(write_rulebook(tmp_path, broken))
    messages = [p.message for p in source.problems]
    assert any("negative" in m for m in messages) and any("colour" in m for m in messages)


def test_the_default_rulebook_lints_clean() -> None:
    result = CliRunner().invoke(cli, ["rules", "lint", "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output  # every rule has labelled examples
    assert result.output.strip().startswith("ok:")


def test_every_command_that_loads_a_broken_rulebook_stops(tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(RULES, folder)
    (folder / "slang.yaml").write_text(
        (folder / "slang.yaml").read_text(encoding="utf-8").replace("weight: 0.4", "weight: -0.4"),
        encoding="utf-8",
    )
    for args in (["explain", "--title", "x"], ["test"]):
        result = CliRunner().invoke(cli, ["rules", *args, "--rules", str(folder), "--no-registry"])
        assert result.exit_code == 2, result.output
        assert "slang.yaml:" in result.output and "slang.replica-weak" in result.output


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    one = load_rulebook(write_rulebook(tmp_path, GOOD_RULE))
    assert one.version == load_rulebook(tmp_path / "rules").version
    (tmp_path / "rules" / "book.yaml").write_text(
        GOOD_RULE.replace("1.0", "0.9", 1), encoding="utf-8"
    )
    assert load_rulebook(tmp_path / "rules").version != one.version
