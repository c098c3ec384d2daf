"""The code style gate: ruff (lint and format) and mypy on ``patrol/``, as CI runs them.

They run inside the test suite so that ``make test`` — the one command CI runs — fails on a
lint error, an unformatted file or a type error, as detection-rule repositories gate
their rules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--quiet", "."],
        ["ruff", "format", "--check", "--quiet", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_style(command: list[str]) -> None:
    executable = BIN / command[0]
    if not executable.exists():
        pytest.fail(f"{command[0]} is not installed in this environment: pip install -e '.[dev]'")
    completed = subprocess.run(
        [str(executable), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
