"""The ``patrol`` fixture: run the CLI in-process (used by the cli, exports and reports tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from patrol.cli import cli

__all__ = ["Invoke", "patrol"]

Invoke = Callable[..., Result]


@pytest.fixture
def patrol() -> Invoke:
    """Run ``patrol ARGS…`` in-process, as a user would type it."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})

    return invoke
