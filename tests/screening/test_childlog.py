"""What the screening child logs reaches the patrol's own log: each record at its level,
tracebacks whole, stray output as a warning, nothing lost at the child's exit."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import pytest

from patrol.screening.childlog import ChildLogRelay

# the child's logging as patrol.screening.process.serve sets it up
_CHILD = r"""
import logging, sys
from patrol.screening.childlog import child_log_handler
root = logging.getLogger()
root.addHandler(child_log_handler(sys.stderr))
logging.getLogger("x").warning("listing %s: 耐克 <b>odd</b>\nsecond line", "tj-1")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("x").exception("a bug")
sys.stderr.write("Fatal Python error: raw\n")
sys.stderr.write('[40, "cut short, no newline"]')
"""


def _child_records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage()) for r in caplog.records if r.name == "patrol.screening.child"
    ]


def test_each_record_is_logged_again_at_its_level(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> None:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD], stderr=subprocess.PIPE)
        assert proc.stderr is not None
        relay = ChildLogRelay(proc.stderr, asyncio.get_running_loop())
        while proc.poll() is None:
            await asyncio.sleep(0.05)
        relay.close()  # what is still in the pipe is relayed, the last line too

    caplog.set_level(logging.DEBUG, logger="patrol.screening.child")
    asyncio.run(run())
    records = _child_records(caplog)
    assert records[0] == (logging.WARNING, "listing tj-1: 耐克 <b>odd</b>\nsecond line")
    level, text = records[1]
    assert level == logging.ERROR and text.startswith("a bug\nTraceback (most recent call last)")
    assert text.endswith("ZeroDivisionError: division by zero")
    assert records[2:] == [
        (logging.WARNING, "Fatal Python error: raw"),
        (logging.ERROR, "cut short, no newline"),
    ]
