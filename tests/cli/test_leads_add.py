"""`patrol leads add`: a listing reported by a complaint is fetched through its site's
profile (in its own process), screened, kept as evidence and filed whatever its score."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from patrol import config
from patrol.config import PROJECT_ROOT
from patrol.db import open_database, upgrade_database
from patrol.db.models import Lead, ListingRow
from patrol.marketplaces import ground_truth, serve_marketplaces

pytestmark = pytest.mark.slow

SEED, LISTINGS, HOUR = 3, 40, 10.0


@pytest.fixture(scope="module")
def bazaar() -> Iterator[str]:
    with serve_marketplaces(sites=("bazaar",), seed=SEED, listings=LISTINGS, hour=HOUR) as fx:
        yield fx.base_url("bazaar").rstrip("/")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'var' / 'patrol.db'}"
    (tmp_path / "var").mkdir()
    upgrade_database(url)
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.setenv("PATROL_DATABASE_URL", url)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    environment.update(PATROL_HOME=str(tmp_path), PATROL_DATABASE_URL=url,
                       PYTHONPATH=str(PROJECT_ROOT), COLUMNS="200")  # fmt: skip
    return environment


def _patrol(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patrol", *args], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def _genuine_id() -> str:
    return next(
        row["id"]
        for row in ground_truth("bazaar", SEED, LISTINGS, hour=HOUR)
        if row["expect"] == "clear"
    )


def test_a_complaint_about_a_clean_listing_still_files_a_lead(
    bazaar: str, env: dict[str, str]
) -> None:
    listing_id = _genuine_id()
    url = f"{bazaar}/itm/{listing_id}"
    done = _patrol(
        env, "leads", "add", "--url", url, "--site", "bazaar", "--source", "complaint",
        "--note", "=buyer says fake", "--actor", "desk",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "filed (complaint)" in done.stdout

    database = open_database()
    with database.sessions() as session:
        lead = session.scalars(
            select(Lead).join(ListingRow).where(ListingRow.listing_id == listing_id)
        ).one()
        assert lead.status == "new" and lead.score < 1.0  # not a patrol flag
        (event,) = lead.events
        assert (event.action, event.actor, event.to_status) == ("reported", "desk", "new")
        assert event.data["source"] == "complaint" and event.data["note"] == "=buyer says fake"
        assert lead.evidence_path is not None
        evidence = config.evidence_dir() / lead.evidence_path
        lead_id = lead.id
    database.dispose()
    assert (
        evidence.is_file()
        and evidence.with_name(evidence.name.replace(".html.gz", ".json")).is_file()
    )

    shown = _patrol(env, "leads", "show", str(lead_id))
    assert shown.returncode == 0 and "source: complaint" in shown.stdout
    assert str(evidence) in shown.stdout

    again = _patrol(env, "leads", "add", "--url", url, "--site", "bazaar", "--source", "tip")
    assert again.returncode == 0, again.stderr
    assert f"lead #{lead_id} already open" in again.stdout


def test_bad_reports_are_one_line_errors(bazaar: str, env: dict[str, str]) -> None:
    cases = [
        (("--url", f"{bazaar}/itm/999999999999", "--site", "bazaar"), "no lead filed"),
        (("--url", f"{bazaar}/itm/1234"), "no site profile serves"),
        (("--url", f"{bazaar}/usr/someone", "--site", "bazaar"), "is not a listing page"),
        (("--url", "ftp://example/itm/1", "--site", "bazaar"), "not a listing URL"),
    ]
    for args, message in cases:
        done = _patrol(env, "leads", "add", *args, "--source", "tip")
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    database = open_database()
    with database.sessions() as session:
        assert session.scalars(select(Lead)).first() is None
    database.dispose()
