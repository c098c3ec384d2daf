"""`patrol bench screen` runs and reports the agreed keys (figures come from the bench)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from patrol.cli import cli


def test_bench_screen_json_keys() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "screen",
            "--brands",
            "200",
            "--listings",
            "100",
            "--baseline-listings",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"listings_per_s", "baseline_listings_per_s", "ratio", "brands"} <= set(data)
    assert data["brands"] == 200
    assert data["listings_per_s"] > 0 and data["baseline_listings_per_s"] > 0
    assert [run["rulebook"] for run in data["runs"]] == ["default", "generated"]
