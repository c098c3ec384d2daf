"""In real Chromium: a page whose renderer crashed gives its slot back once, so the bound
on open pages (``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``) holds for the rest of the patrol."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.browser


def test_a_crashed_page_gives_its_slot_back_once() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.crawl.page_slots"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in outcome, outcome.get("error")
    assert outcome["crashed"]
    # two slots: the two pages made after the crash take both, the third waits for one
    assert outcome["third_waited"]
    assert outcome["third_made"]
