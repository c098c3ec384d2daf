"""How ``patrol bench crawl`` judges whether memory levels off, and what a crawl reports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from patrol.bench.crawl import _levels_off, _quarters, _run_worker
from patrol.db import upgrade_database
from patrol.marketplaces import serve_marketplaces


def test_renderers_coming_and_going_level_off() -> None:
    # the browser's RSS saw-tooths as pages open and close; its peaks stay put
    samples = [(float(t), 120.0, 300.0 + (t % 5) * 40) for t in range(400)]
    quarters = _quarters(samples)
    assert [q.seconds for q in quarters] == [99.0, 199.0, 299.0, 399.0]
    assert [q.total for q in quarters] == [580.0] * 4
    assert _levels_off(quarters) == (0.0, True)


def test_memory_that_keeps_growing_does_not_level_off() -> None:
    # doubling over the run: the last quarter still adds about 14 %
    samples = [(float(t), 100.0 + t / 4, 100.0 + t / 4) for t in range(400)]
    growth, flat = _levels_off(_quarters(samples))
    assert 13 < growth < 15
    assert not flat


def test_a_run_too_short_to_judge_has_no_quarters() -> None:
    assert _quarters([(0.0, 1.0, 1.0)] * 7) == []
    assert _levels_off([]) == (0.0, True)


def test_a_crawl_reports_the_cpu_its_thread_took(tmp_path: Path) -> None:
    # a real (small) bare crawl in its own process, as the bench runs it
    run = _small_crawl(tmp_path, "bare")
    result = run.result
    assert result["status"] == "finished" and result["pages"] > 30
    assert 0 < result["crawl_thread_cpu_s"] <= result["process_cpu_s"]
    assert result["crawl_thread_cpu_s"] < run.wall_seconds
    assert run.cpu_ms_per_page == result["crawl_thread_cpu_s"] * 1000 / result["pages"]


def test_a_full_crawl_tells_the_listing_process_cpu_apart(tmp_path: Path) -> None:
    # the full patrol reads its listings in the listing process: the crawl's thread does
    # not pay for them, the helper's CPU is reported beside it
    run = _small_crawl(tmp_path, "full")
    result = run.result
    assert result["status"] == "finished" and result["listings"] > 30
    assert result["helper_cpu_s"] > 0
    assert run.helper_cpu_ms_per_page == result["helper_cpu_s"] * 1000 / result["pages"]


def _small_crawl(home: Path, mode: str) -> Any:
    """One small crawl of ``mode`` in its own process, as the bench runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    env["PATROL_HOME"] = str(home)
    (home / "var").mkdir()
    upgrade_database(f"sqlite:///{home / 'var' / 'patrol.db'}")
    with serve_marketplaces(sites=("taoji",), seed=3, listings=40) as fx:
        return _run_worker(mode, "taoji", fx.base_url("taoji"), env, sample=False)
