"""A patrol killed with SIGKILL and started again with its job folder finishes the work:
nothing stored is fetched again, no listing or lead is lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patrol.db import open_database
from patrol.marketplaces import FaultConfig, ground_truth, serve_marketplaces
from tests.spiders.patrolrun import PatrolHome

pytestmark = pytest.mark.slow

SEED = 5
LISTINGS = 200
HOUR = 12.0


def _done(job: Path) -> list[str]:
    path = job / "done-listings.txt"
    if not path.exists():
        return []
    return [line for line in path.read_text().split("\n") if line]


def _kill_midway(home: PatrolHome, base_url: str, job: Path, after: int) -> list[str]:
    argv, _feed = home.command(
        "taoji", base_url, "--job-dir", str(job), "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"
    )
    proc = subprocess.Popen(
        argv, env=home.env, cwd=home.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    try:
        while len(_done(job)) < after:
            assert proc.poll() is None, "the patrol ended before it could be killed"
            assert time.monotonic() < deadline, "the patrol made no progress"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return _done(job)


def test_killed_patrol_resumes_without_refetching(home: PatrolHome) -> None:
    truth = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=HOUR)}
    job = home.root / "job"
    slow = FaultConfig(slow_rate=0.3, slow_seconds=0.5)
    with serve_marketplaces(
        sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults=slow
    ) as fx:
        base_url = fx.base_url("taoji")
        # slow answers keep requests in flight when the kill lands
        done_before = _kill_midway(home, base_url, job, after=30)
        assert 30 <= len(done_before) < len(truth)

        fx.set_faults("taoji", None)
        result = home.patrol("taoji", base_url, "--job-dir", str(job))

    assert result.returncode == 0, result.stderr[-3000:]
    stats = result.stats
    # the second run skipped every listing the first had stored and fetched the rest once
    assert stats["patrol/resume_skipped"] == len(set(done_before))
    fetched_again = {i["url"] for i in result.items} & set(done_before)
    assert not fetched_again
    assert stats["patrol/listing_pages"] == len(truth) - len(set(done_before))

    # every live listing stored exactly once; one lead per flagged listing, no duplicates
    rows = home.listing_rows("taoji")
    assert sorted(r.listing_id for r in rows) == sorted(truth)
    from patrol.db.models import Lead

    database = open_database(home.database_url)
    try:
        with database.sessions() as session:
            per_listing = Counter(session.scalars(select(Lead.listing_pk)))
            flagged = session.scalar(select(func.count()).where(_flagged_clause()))
    finally:
        database.dispose()
    assert per_listing and max(per_listing.values()) == 1
    assert len(per_listing) == flagged

    # the journal now says the patrol finished: the next start is a new patrol
    state = (job / "patrol-state.json").read_text()
    assert '"status": "finished"' in state


def _flagged_clause():  # type: ignore[no-untyped-def]
    from patrol.db.models import ListingRow

    return ListingRow.flagged.is_(True)
