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


@pytest.mark.parametrize(
    ("url", "shown", "why"),
    [
        ("redis://127.0.0.1:99999/0", "redis://127.0.0.1:99999/0", "the port must be a number"),
        ("redis://:secret@127.0.0.1:99999/0", "redis://***@127.0.0.1:99999/0", "the port must"),
        ("redis://user:secret/0", "redis://user:***/0", "the port must be a number"),
        ("redis://[::1/0", "redis://[::1/0", "Invalid IPv6 URL"),
        ("redis://127.0.0.1/0?socket_timeout=soon", None, "Invalid value for 'socket_timeout'"),
        ("redis://127.0.0.1/0?password=secret&db=x", "?password=***&db=x", "value for 'db'"),
        ("unix:///tmp/redis.sock?db=one", "unix:///tmp/redis.sock?db=one", "value for 'db'"),
        ("http://user:secret@127.0.0.1:6379", "'http://***@127.0.0.1:6379'", "must be a redis://"),
    ],
)
@pytest.mark.parametrize("command", [["worker", "taoji"], ["crawl", "taoji"]])
def test_a_redis_url_redis_py_cannot_read_is_one_line_without_its_password(
    monkeypatch: pytest.MonkeyPatch, command: list[str], url: str, shown: str | None, why: str
) -> None:
    monkeypatch.setenv("PATROL_REDIS_URL", url)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: PATROL_REDIS_URL "), result.output
    assert result.output.count("\n") == 1, result.output
    assert why in result.output and (shown or url) in result.output
    assert "secret" not in result.output


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("PATROL_HEARTBEAT=soon", "PATROL_HEARTBEAT must be a number of seconds"),
        ("PATROL_HEARTBEAT=nan", "PATROL_HEARTBEAT must be a number of seconds from 0 to 86400"),
        ("PATROL_WORKER_TIMEOUT=inf", "PATROL_WORKER_TIMEOUT must be a number of seconds"),
        ("PATROL_RUN_WAIT=1e400", "PATROL_RUN_WAIT must be a number of seconds"),
        ("PATROL_RUN_WAIT=-1", "PATROL_RUN_WAIT must be a number of seconds"),
        ("PATROL_MIN_WORKERS=1.5", "PATROL_MIN_WORKERS must be a whole number, not '1.5'"),
    ],
)
def test_a_distributed_setting_that_is_not_a_finite_number_is_one_line(
    setting: str, message: str
) -> None:
    args = ["worker", "taoji", "-s", "PATROL_REDIS_URL=redis://127.0.0.1:1/0", "-s", setting]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {message}"), result.output
    assert result.output.count("\n") == 1, result.output
