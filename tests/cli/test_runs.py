"""`patrol runs`: the list of patrol runs, with blocked, failed and shrunken runs marked."""

from __future__ import annotations

from datetime import timedelta

from patrol.db import Database
from patrol.db.models import PatrolRun
from tests.cli.invoke import Invoke
from tests.cli.seed import when


def _run(site: str, day: int, listings: int, status: str = "finished", **stats: int) -> PatrolRun:
    return PatrolRun(
        site=site,
        spider="marketplace",
        started_at=when(day),
        finished_at=when(day) + timedelta(seconds=42),
        status=status,
        pages=listings + 3,
        listings=listings,
        errors=0,
        stats={f"patrol/{key}": value for key, value in stats.items()},
    )


def test_runs_are_listed_with_warnings(db: Database, patrol: Invoke) -> None:
    with db.sessions.begin() as session:
        session.add_all(
            [
                _run("taoji", 20, 1000, listings_new=1000, flagged=300),
                _run("taoji", 21, 990, listings_new=3, listings_gone=13, flagged=297),
                _run("taoji", 22, 120, listings_new=0),  # far fewer: the site changed?
                _run("bazaar", 21, 500),
                _run("bazaar", 22, 12, status="blocked", blocked_pages=7),
            ]
        )
    result = patrol("runs")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines()
             if line.count("│") > 10 and line.split("│")[1].strip().isdigit()}  # fmt: skip
    assert len(lines) == 5
    assert "⚠ 120 listings, previous run 990" in lines["3"]
    assert "⚠ blocked" in lines["5"]
    assert "⚠" not in lines["2"] and "⚠" not in lines["1"] and "⚠" not in lines["4"]
    assert "42s" in lines["2"] and "13" in lines["2"]

    result = patrol("runs", "--site", "taoji", "--since", "2026-11-22")
    assert "1 run(s)" in result.output and "⚠ 120 listings" in result.output

    result = patrol("runs", "--since", "yesterday")
    assert result.exit_code == 2 and "bad --since date 'yesterday'" in result.output
