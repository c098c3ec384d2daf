"""The screening child's log records, relayed into the patrol's own log.

The child (:mod:`patrol.screening.process`) is a separate interpreter: left alone, what it
logs would go to the terminal's stderr, past ``LOG_FILE``, the patrol's log format and
Scrapy's ``log_count/*`` stats. So the child writes each record as one JSON line on its
stderr (:func:`child_log_handler`), and the parent reads that pipe from its event loop
(:class:`ChildLogRelay`) and logs every record again under ``patrol.screening.child``,
where the patrol's logging decides what becomes of it. Anything else the child's stderr
carries (an interpreter's fatal error, a library that prints) is relayed as a warning,
line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from typing import IO

__all__ = ["ChildLogRelay", "child_log_handler"]

logger = logging.getLogger("patrol.screening.child")

_MAX_LINE = 1 << 20  # a longer "line" is relayed in pieces rather than held


def child_log_handler(stream: IO[str]) -> logging.Handler:
    """The child's handler: one JSON line per record, ``[levelno, message]``, on ``stream``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonLineFormatter())
    return handler


class _JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps([record.levelno, super().format(record)], ensure_ascii=False)


class ChildLogRelay:
    """Reads the child's stderr in the loop and logs each record it carries; stops at its
    end (the child exited) or at :meth:`close`."""

    def __init__(
        self,
        stream: IO[bytes],
        loop: asyncio.AbstractEventLoop,
        relay_to: logging.Logger = logger,
    ) -> None:
        self._relay_to = relay_to
        self._stream = stream
        self._fd = stream.fileno()
        self._loop = loop
        self._pending = bytearray()
        self._open = True
        os.set_blocking(self._fd, False)
        loop.add_reader(self._fd, self._on_readable)

    def close(self) -> None:
        """Relay what is still buffered and stop reading (the pipe is closed)."""
        if not self._open:
            return
        self._open = False
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._fd)
        with contextlib.suppress(OSError):
            while chunk := os.read(self._fd, 1 << 16):  # what the child wrote last
                self._pending += chunk
        self._relay_lines(final=True)
        with contextlib.suppress(OSError):
            self._stream.close()

    def fileno(self) -> int | None:
        """The pipe being read, None once closed (for a caller that selects on it)."""
        return self._fd if self._open else None

    def pump(self) -> None:
        """Relay what the child has written so far (a caller blocking the loop calls it
        whenever :meth:`fileno` is readable)."""
        self._on_readable()

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return
        self._pending += chunk
        self._relay_lines(final=False)

    def _relay_lines(self, final: bool) -> None:
        *lines, rest = self._pending.split(b"\n")
        if final or len(rest) > _MAX_LINE:
            lines.append(rest)
            rest = bytearray()
        self._pending = bytearray(rest)
        for line in lines:
            if line.strip():
                _relay(self._relay_to, line.decode("utf-8", "replace"))


def _relay(relay_to: logging.Logger, line: str) -> None:
    try:
        level, message = json.loads(line)
    except (ValueError, TypeError):  # not a record of ours: print()ed, or the interpreter
        level, message = logging.WARNING, line
    if not isinstance(level, int) or not isinstance(message, str):
        level, message = logging.WARNING, line
    relay_to.log(level, "%s", message)
