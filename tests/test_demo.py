"""``patrol demo`` end to end: fixtures served, patrols run, leads shown, report written —
and a second run stores nothing twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

SITES = ["--site", "taoji", "--site", "bazaar"]  # the browser site is covered in tests/spiders


def _demo(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patrol", "demo", "--listings", "40", *SITES],
        cwd=home,
        env={**_environ(), "PATROL_HOME": str(home), "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}


def _counts(home: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{home / 'var' / 'patrol.db'}")
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("listings", "leads", "patrol_runs")
        }
        counts["duplicate_listings"] = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT marketplace_id, listing_id FROM listings"
                " GROUP BY marketplace_id, listing_id HAVING count(*) > 1) AS d"
            )
        ).scalar_one()
        counts["listings_with_two_open_leads"] = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT listing_pk FROM leads WHERE status NOT IN"
                " ('closed', 'dismissed') GROUP BY listing_pk HAVING count(*) > 1) AS d"
            )
        ).scalar_one()
    engine.dispose()
    return counts


@pytest.mark.slow
def test_demo_patrols_shows_leads_and_stores_nothing_twice(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Top leads" in first.stdout
    assert "demo officer sent" in first.stdout
    assert "Traceback" not in first.stderr
    reports = sorted((tmp_path / "var" / "reports").glob("weekly-*"))
    assert [path.suffix for path in reports] == [".xlsx", ".html"]
    after_first = _counts(tmp_path)
    assert after_first["listings"] > 0 and after_first["leads"] > 0
    assert after_first["patrol_runs"] == 4  # two sites at two simulated hours

    second = _demo(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    after_second = _counts(tmp_path)
    assert after_second["listings"] == after_first["listings"]
    assert after_second["leads"] == after_first["leads"]
    assert after_second["patrol_runs"] == 8
    assert after_second["duplicate_listings"] == 0
    assert after_second["listings_with_two_open_leads"] == 0
