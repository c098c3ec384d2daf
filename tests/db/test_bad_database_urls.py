"""A database URL, file or home folder that cannot be used is one line naming it (any
password hidden), and nothing is created or changed; ``db upgrade`` makes the default
var/ folder but not the folder of a path the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol.db.migrate import head_revision
from tests.cli.invoke import Invoke


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.delenv("PATROL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PATROL_SQLITE_BUSY_TIMEOUT", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("notaurl", "notaurl"),
        ("postgresql+psycopg://u:secret@[::1/x", "postgresql+psycopg://u:***@[::1/x"),
        ("postgresql+psycopg://u:secret@127.0.0.1:port/x", "postgresql+psycopg://u:***@"),
    ],
)
@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "status"], ["leads", "list"], ["runs"]]
)
def test_a_url_that_does_not_parse_is_one_line_without_its_password(
    home: Path, patrol: Invoke, monkeypatch: pytest.MonkeyPatch, url: str, shown: str,
    command: list[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("PATROL_DATABASE_URL", url)
    result = patrol(*command)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: not a database URL: {shown}")
    assert "secret" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_url_option_is_one_line(home: Path, patrol: Invoke) -> None:
    for command in ("upgrade", "status"):
        result = patrol("db", command, "--url", "notaurl")
        assert result.exit_code == 2, result.output
        assert result.output.startswith("Error: not a database URL: notaurl")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "status"], ["leads", "list"]])
def test_a_file_that_is_not_a_database_is_reported_and_left_alone(
    home: Path, patrol: Invoke, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    path = home / "notes.db"
    path.write_text("not a database\n", encoding="utf-8")
    monkeypatch.setenv("PATROL_DATABASE_URL", f"sqlite:///{path}")
    result = patrol(*command)
    assert result.exit_code == 2, result.output
    assert (
        result.output == f"Error: cannot open database sqlite:///{path}: file is not a database\n"
    )
    assert path.read_text(encoding="utf-8") == "not a database\n"


def test_a_home_that_is_a_file_is_reported(
    home: Path, patrol: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = home / "home.txt"
    file.write_text("x", encoding="utf-8")
    monkeypatch.setenv("PATROL_HOME", str(file))
    result = patrol("db", "upgrade")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: cannot create database sqlite:///{file}/var/patrol.db")
    assert file.read_text(encoding="utf-8") == "x"


def test_upgrade_refuses_a_missing_folder_of_a_given_path(home: Path, patrol: Invoke) -> None:
    missing = home / "no" / "such"
    result = patrol("db", "upgrade", "--url", f"sqlite:///{missing}/patrol.db")
    assert result.exit_code == 2, result.output
    assert f"{home / 'no'} does not exist" not in result.output  # names the folder itself
    assert f"{missing} does not exist" in result.output
    assert not (home / "no").exists()


def test_upgrade_still_makes_the_default_var_folder(home: Path, patrol: Invoke) -> None:
    result = patrol("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"schema revision {head_revision()}" in result.output
    assert (home / "var" / "patrol.db").is_file()


@pytest.mark.parametrize("value", ["1e400", "inf", "nan", "-inf", "99999999", "soon"])
def test_a_busy_timeout_out_of_range_names_the_variable(
    home: Path, patrol: Invoke, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    assert patrol("db", "upgrade").exit_code == 0
    monkeypatch.setenv("PATROL_SQLITE_BUSY_TIMEOUT", value)
    result = patrol("leads", "list")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: PATROL_SQLITE_BUSY_TIMEOUT must be a number of seconds")
    assert repr(value) in result.output
