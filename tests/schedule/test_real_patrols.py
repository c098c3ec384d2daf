"""The schedule against the fixture marketplaces: real `patrol crawl` and
`patrol leads recheck` processes over a few simulated hours, recorded in patrol_runs,
never two runs of one site at once, and listed by `patrol runs`."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from patrol.cli import cli
from patrol.db import open_database
from patrol.db.models import Lead, PatrolRun
from patrol.marketplaces import serve_marketplaces

pytestmark = pytest.mark.slow


def test_scheduled_patrols_of_the_fixture_marketplaces(home: Path, tmp_path: Path) -> None:
    with serve_marketplaces(sites=("taoji", "bazaar"), seed=5, listings=30, hour=11.0) as fx:
        schedule = tmp_path / "schedule.yaml"
        schedule.write_text(
            "sites:\n"
            f"  taoji:\n    base_url: {fx.base_url('taoji')}\n    every: 3h\n"
            f"  bazaar:\n    base_url: {fx.base_url('bazaar')}\n    every: 3h\n"
            "recheck:\n  every: 1h\n",
            encoding="utf-8",
        )
        args = ["schedule", "run", "--config", str(schedule), "--for", "6h", "--speed", "1800",
                "--start", "2026-11-28T08:00", "--json"]  # fmt: skip
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(run["returncode"] == 0 for run in report["runs"]), report["runs"]

    database = open_database()
    with database.sessions() as session:
        runs = list(session.scalars(select(PatrolRun).order_by(PatrolRun.started_at)))
        open_leads = session.scalars(select(Lead)).all()
    database.dispose()
    assert open_leads  # the patrols flagged counterfeits
    by_site: dict[str, list[PatrolRun]] = {}
    for run in runs:
        assert run.status == "finished" and run.finished_at is not None, (run.site, run.status)
        by_site.setdefault(run.site, []).append(run)
    for site_runs in by_site.values():  # never two runs of one site at once
        for before, after in itertools.pairwise(site_runs):
            assert before.finished_at is not None and before.finished_at <= after.started_at
    patrols = [r for r in runs if r.spider == "marketplace"]
    rechecks = [r for r in runs if r.spider == "listing_urls"]
    # how many runs fit in 12 real seconds depends on the machine; every one is recorded
    assert len(runs) == len(report["runs"]), (report["runs"], [r.spider for r in runs])
    assert {r.site for r in patrols} == {"taoji", "bazaar"}
    assert rechecks and all(0 < r.listings <= len(open_leads) for r in rechecks)
    assert patrols[0].listings > 0 and patrols[0].stats.get("patrol/flagged", 0) > 0

    listed = CliRunner().invoke(cli, ["runs"], env={"COLUMNS": "220"})
    assert listed.exit_code == 0
    assert f"{len(runs)} run(s)" in listed.output and "recheck" in listed.output
