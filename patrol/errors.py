"""User-facing errors.

A :class:`PatrolError` is a problem with what the user gave us (a file, an argument, a
setting), never a bug. The CLI prints it as one line and exits with status 2, as Click
does for usage errors; no traceback is shown.
"""

from __future__ import annotations

import click

__all__ = ["PatrolError"]


class PatrolError(click.ClickException):
    """A one-line, user-facing error; the CLI exits with status 2."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message
