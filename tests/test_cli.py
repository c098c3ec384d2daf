"""The ``patrol`` command line as a whole: every group answers ``--help``, and user
errors are one line with exit status 2."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.errors import PatrolError


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(_all_commands(command, path))
    return paths


@pytest.mark.parametrize("path", _all_commands(cli), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    # The first help line is the command's own docstring, not an empty placeholder.
    assert result.output.split("\n\n")[1].strip()


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_patrol_error_is_one_line_and_exit_2() -> None:
    @click.command()
    def failing() -> None:
        raise PatrolError("rules/brands.yaml:12: rule 'nike': empty alias")

    result = CliRunner().invoke(failing, [])
    assert result.exit_code == 2
    assert result.output == "Error: rules/brands.yaml:12: rule 'nike': empty alias\n"


def test_console_script_runs_without_traceback() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "patrol", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
