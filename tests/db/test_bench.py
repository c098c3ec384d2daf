"""`patrol bench db` runs end to end on a small sample and reports the agreed keys."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from patrol.cli import cli


@pytest.mark.postgres
def test_bench_db_reports_both_databases(pg_session_url: str) -> None:
    admin = pg_session_url  # any database on the server will do as the admin connection
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "db",
            "--listings",
            "300",
            "--baseline-listings",
            "20",
            "--postgres",
            admin,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for prefix in ("", "postgresql_"):
        assert figures[f"{prefix}listings_per_s"] > 0
        assert figures[f"{prefix}baseline_listings_per_s"] > 0
        assert figures[f"{prefix}ratio"] == pytest.approx(
            figures[f"{prefix}listings_per_s"] / figures[f"{prefix}baseline_listings_per_s"],
            rel=0.01,
        )
        assert figures[f"{prefix}repatrol_listings_per_s"] > 0
