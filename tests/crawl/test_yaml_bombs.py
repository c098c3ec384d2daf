"""Alias bombs and deep nesting in site profiles and schedules: a one-line error, not a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.crawl.profile import ProfileError, load_profile
from patrol.crawl.yamlmarks import MAX_NODES, load_marked_yaml
from patrol.schedule.config import ScheduleError, load_schedule

from .test_profile import GOOD

SCHEDULE = """\
sites:
  taoji:
    base_url: http://127.0.0.1:8401
    every: 2h
"""


def _laughs(levels: int = 6) -> str:
    """Nine aliases per level: 9**6 = 531,441 values from a few hundred bytes."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return "\n".join(lines) + "\n"


DEEP = "deep: " + "[" * 5000 + "]" * 5000 + "\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_alias_bomb_in_a_profile_is_refused_quickly(tmp_path: Path) -> None:
    path = _write(tmp_path, "shopx.yaml", GOOD + _laughs())
    started = time.monotonic()
    with pytest.raises(ProfileError) as raised:
        load_profile("shopx", directory=tmp_path)
    assert time.monotonic() - started < 10
    assert str(raised.value).startswith(f"{path}:")
    assert "too many values" in str(raised.value)


def test_deep_nesting_in_a_profile_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "shopx.yaml", GOOD + DEEP)
    with pytest.raises(ProfileError) as raised:
        load_profile("shopx", directory=tmp_path)
    assert str(raised.value).startswith(f"{path}:")
    assert "nested too deeply" in str(raised.value)


@pytest.mark.parametrize("extra", [_laughs(), DEEP], ids=["alias-bomb", "deep-nesting"])
def test_hostile_yaml_in_a_schedule_is_a_schedule_error(tmp_path: Path, extra: str) -> None:
    path = _write(tmp_path, "schedule.yaml", SCHEDULE + extra)
    with pytest.raises(ScheduleError) as raised:
        load_schedule(path)
    assert str(raised.value).startswith(f"{path}:")
    assert "not valid YAML" in str(raised.value)


def test_aliases_within_the_budget_still_load_with_lines() -> None:
    doc = load_marked_yaml("base: &b {css: h1}\nfields:\n  title: *b\n  name: *b\n")
    assert doc.data["fields"] == {"title": {"css": "h1"}, "name": {"css": "h1"}}
    assert doc.line_of(("fields", "name", "css")) == 1
    assert doc.data["fields"]["title"] is not doc.data["fields"]["name"]


def test_the_budget_counts_every_use_of_an_alias() -> None:
    thousand = ", ".join(["x"] * 1000)

    def doc(extra: int) -> str:
        # 1 root + (1 + 1,000) for a + 1 for k + 97 × 1,001 through *a + extra scalars
        refs = ", ".join(["*a"] * 97 + ["y"] * extra)
        return f"a: &a [{thousand}]\nk: [{refs}]\n"

    assert MAX_NODES == 1 + 1001 + 1 + 97 * 1001 + 1900
    assert len(load_marked_yaml(doc(1900)).data["k"]) == 97 + 1900
    with pytest.raises(ValueError, match="too many values"):
        load_marked_yaml(doc(1901))


def test_crawl_cli_reports_an_alias_bomb_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "shopx.yaml", GOOD + _laughs())
    result = CliRunner().invoke(cli, ["crawl", str(path)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {path}:")
    assert "too many values" in result.output and "Traceback" not in result.output
