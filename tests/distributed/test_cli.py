"""Usage errors of the distributed commands: one line, exit status 2, no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from patrol.cli import cli


@pytest.fixture(autouse=True)
def _no_redis(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.delenv("PATROL_REDIS_URL", raising=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "taoji", "--workers", "2"], "--workers 2 needs PATROL_REDIS_URL"),
        (["crawl", "taoji", "--workers", "0"], "Invalid value for '--workers'"),
        (["worker", "taoji"], "patrol worker needs PATROL_REDIS_URL"),
        (["worker", "nosuchsite"], "unknown site 'nosuchsite'"),
        (
            ["worker", "taoji", "-s", "PATROL_REDIS_URL=http://127.0.0.1:1"],
            "PATROL_REDIS_URL must be a redis:// URL",
        ),
        (
            [
                "crawl",
                "taoji",
                "--workers",
                "2",
                "-s",
                "PATROL_REDIS_URL=redis://127.0.0.1:1",
                "--job-dir",
                "jobs",
            ],
            "--job-dir is for a patrol in one process",
        ),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
