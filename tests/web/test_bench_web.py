"""`patrol bench web` at a tiny size: its JSON keys, and figures that are real measurements."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patrol.bench.web import PAGES
from patrol.bench.webfill import fill_database
from patrol.db import open_database, upgrade_database
from patrol.db.models import Case, Lead, LeadEvent, ListingRow, RuleHitRow, Shop

pytestmark = pytest.mark.slow


def test_fill_database_writes_what_it_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fill.db'}"
    upgrade_database(url)
    filled = fill_database(url, 1000)
    database = open_database(url)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1000
        assert session.scalar(select(func.count()).select_from(ListingRow)) == 1000
        assert session.scalar(select(func.count()).select_from(RuleHitRow)) == 1000
        assert session.scalar(select(func.count()).select_from(Shop)) == 20
        assert session.scalar(select(func.count()).select_from(Case)) == 5
        assert (session.scalar(select(func.count()).select_from(LeadEvent)) or 0) >= 1000
        statuses = Counter(session.scalars(select(Lead.status)))
        assignees = set(session.scalars(select(Lead.assignee).where(Lead.assignee.is_not(None))))
        titles = set(session.scalars(select(ListingRow.title)))
    database.dispose()
    assert set(statuses) == {"new", "triaged", "assigned", "confirmed", "notice_sent", "closed",
                             "dismissed"}  # fmt: skip
    assert assignees <= set(filled.officers) and len(assignees) > 10
    assert len(titles) == 1000 and any("耐克" in t for t in titles if t)


def test_bench_web_json(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "patrol", "bench", "web", "--leads", "300", "--clients", "4"]
    argv += ["--requests", "20", "--seconds", "60", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(done.stdout)
    assert data["leads"] == 300 and data["clients"] == 4 and data["workers"] == 2
    for kind in ("sqlite", "postgresql"):
        assert data[f"{kind}.fill_s"] > 0
        for page in PAGES:
            key = f"{kind}.{page}"
            assert data[f"{key}.requests"] == 20
            assert 0 < data[f"{key}.p50_ms"] <= data[f"{key}.p95_ms"] < 60_000
            assert data[f"{key}.errors"] == 0, key
            if page != "baseline":
                floor = data[f"{kind}.baseline.p95_ms"]
                assert data[f"{key}.p95_ratio"] == round(data[f"{key}.p95_ms"] / floor, 1)
