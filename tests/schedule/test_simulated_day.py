"""A simulated day of the schedule with real subprocesses standing in for patrols:
intervals, quiet hours, coalesced slots, crashes recorded as failed, and never two runs
of one site at once."""

from __future__ import annotations

import itertools
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from patrol.cli import cli
from patrol.db import open_database
from patrol.db.models import PatrolRun

FAKE = str(Path(__file__).with_name("fake_run.py"))
SPEED = 14400  # a simulated day in six real seconds


def _schedule(tmp_path: Path) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(
        f"""
patrol_command: ["{{python}}", "{FAKE}", "{{site}}", "0.05", "0"]
recheck_command: ["{{python}}", "{FAKE}", "{{site}}", "0.05", "0", "recheck"]
sites:
  taoji:
    every: 2h
    quiet_hours: "00:00-06:00"
  bazaar:
    every: 1h
    command: ["{{python}}", "{FAKE}", "bazaar", "0.8", "0"]   # 3.2 simulated hours
  kuaigou:
    every: 4h
    recheck: false
    command: ["{{python}}", "{FAKE}", "kuaigou", "0.05", "3"]  # crashes every time
recheck:
  every: 6h
stop_timeout: 5
""",
        encoding="utf-8",
    )
    return path


def test_a_simulated_day_runs_each_site_on_its_interval_without_overlap(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("FAKE_RUN_LOG", str(log))
    args = ["schedule", "run", "--config", str(_schedule(tmp_path)), "--for", "24h",
            "--speed", str(SPEED), "--start", "2026-11-28T00:00", "--json"]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    runs = report["runs"]
    jobs = {(j["site"], j["kind"]): j for j in report["jobs"]}

    # what the processes themselves saw: never two runs of one site at once
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(seen) == len(runs)
    for site in ("taoji", "bazaar", "kuaigou"):
        spans = sorted((r["start"], r["end"]) for r in seen if r["site"] == site)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))

    def started(site: str, kind: str = "patrol") -> list[datetime]:
        return [
            datetime.fromisoformat(r["started"])
            for r in runs
            if (r["site"], r["kind"]) == (site, kind)
        ]

    taoji = started("taoji")
    assert all(t.hour >= 6 for t in taoji)  # quiet hours 00:00-06:00
    assert taoji[0].hour == 6 and 6 <= len(taoji) <= 10  # 06:00, 08:00, …, 22:00
    assert jobs[("taoji", "patrol")]["quiet_skips"] >= 1

    bazaar = started("bazaar")
    assert 4 <= len(bazaar) <= 9  # each run lasts ~3 simulated hours: slots coalesce
    assert jobs[("bazaar", "patrol")]["coalesced"] >= 8
    assert any(r["coalesced"] for r in runs if r["site"] == "bazaar")

    kuaigou = [r for r in runs if r["site"] == "kuaigou"]
    assert 5 <= len(kuaigou) <= 7 and all(r["returncode"] == 3 for r in kuaigou)
    assert ("kuaigou", "recheck") not in jobs
    assert 1 <= len(started("taoji", "recheck")) <= 3  # 06:00, 12:00, 18:00
    assert all(t.hour >= 6 for t in started("bazaar", "recheck"))

    # crashed runs are in patrol_runs as failed, with the end of their log
    database = open_database()
    with database.sessions() as session:
        failed = session.scalars(select(PatrolRun).where(PatrolRun.status == "failed")).all()
    database.dispose()
    assert len(failed) == len(kuaigou)
    assert {row.site for row in failed} == {"kuaigou"}
    assert all("crashed on purpose" in row.stats["schedule/error"] for row in failed)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("sites:\n  taoji:\n    every: 2 hours\n", 3, "sites.taoji.every: bad interval '2 hours'"),
        ("sites:\n  taoji:\n    every: 0m\n", 3, "bad interval '0m'"),
        ("sites:\n  taoji:\n    every: 90\n", 3, "bad interval 90"),
        ("sites:\n  nosuch:\n    every: 1h\n", 3, "unknown site 'nosuch'"),
        ("sites:\n  taoji:\n    every: 1h\n    quiet_hours: 25-3\n", 4, "bad quiet hours"),
        ("sites:\n  taoji:\n    every: 1h\nrecheck:\n  every: soon\n", 5, "recheck.every"),
        ("sites:\n  taoji:\n    every: 1h\n    evry: 2h\n", 4, "unknown key"),
        ("sites: [\n", 2, "not valid YAML"),
        (
            "sites:\n  taoji:\n    every: 99999999999999d\n",
            3,
            "sites.taoji.every: bad interval '99999999999999d': at most 36525d",
        ),
        ("sites:\n  taoji:\n    every: 999999999d\n", 3, "'999999999d': at most 36525d"),
        ("sites:\n  taoji:\n    every: 36526d\n", 3, "'36526d': at most 36525d"),
        ("sites:\n  taoji:\n    every: 99999999999999999999h\n", 3, "at most 36525d"),
        (f"sites:\n  taoji:\n    every: {'9' * 5000}m\n", 3, f"bad interval '{'9' * 30}…'"),
        ("sites:\n  taoji:\n    every: 1e400h\n", 3, "bad interval '1e400h'"),
        ("sites:\n  taoji:\n    every: .inf\n", 3, "bad interval inf"),
        ("sites:\n  taoji:\n    every: 1h\nrecheck:\n  every: 9999999999d\n", 5, "recheck.every"),
        ("sites:\n  taoji:\n    every: 1h\nstop_timeout: .nan\n", 4, "stop_timeout: expected"),
        ("sites:\n  taoji:\n    every: 1h\nstop_timeout: .inf\n", 4, "at most 86400 (a day)"),
        ("sites:\n  taoji:\n    every: 1h\nstop_timeout: 1.0e+400\n", 4, "not inf"),
        ("sites:\n  taoji:\n    every: 1h\nstop_timeout: 99999999999999\n", 4, "at most 86400"),
        ("sites:\n  taoji:\n    every: 1h\nstop_timeout: true\n", 4, "not True"),
    ],
)
def test_a_bad_schedule_file_names_file_and_line(
    home: Path, tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    for command in ("run", "show"):
        result = CliRunner().invoke(cli, ["schedule", command, "--config", str(path)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"Error: {path}:{line}: "), result.output
        assert message in result.output and result.output.count("\n") == 1


def test_sigterm_stops_the_schedule_and_its_runs_cleanly(home: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    path = tmp_path / "slow.yaml"
    path.write_text(
        f'patrol_command: ["{{python}}", "{FAKE}", "{{site}}", "60", "0"]\n'
        "sites:\n  taoji:\n    every: 1h\nstop_timeout: 5\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FAKE_RUN_LOG": str(tmp_path / "runs.jsonl")}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "patrol", "schedule", "run", "--config", str(path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    logs = home / "var" / "logs" / "schedule"
    while time.monotonic() < deadline and not (logs.is_dir() and any(logs.iterdir())):
        time.sleep(0.1)
    time.sleep(0.5)
    scheduler.send_signal(signal.SIGTERM)
    out, err = scheduler.communicate(timeout=30)
    assert scheduler.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["stopped"] == "SIGTERM"
    (run,) = report["runs"]
    assert run["returncode"] == -signal.SIGTERM  # the run was asked to stop, and did
    with pytest.raises(ProcessLookupError):
        os.kill(run["pid"], 0)


def test_show_lists_what_runs_next_from_the_recorded_runs(home: Path, tmp_path: Path) -> None:
    from datetime import UTC, timedelta

    now = datetime.now(UTC)
    quiet_start, quiet_end = (now.hour + 23) % 24, (now.hour + 2) % 24  # around now
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "sites:\n  taoji:\n    every: 2h\n  bazaar:\n    every: 3h\n"
        f"    quiet_hours: {quiet_start:02d}:00-{quiet_end:02d}:00\n"
        "recheck:\n  every: 6h\n",
        encoding="utf-8",
    )
    last = now - timedelta(minutes=30)
    database = open_database()
    with database.sessions.begin() as session:
        session.add(
            PatrolRun(site="taoji", spider="marketplace", started_at=last, status="finished")
        )
    database.dispose()
    result = CliRunner().invoke(cli, ["schedule", "show", "--config", str(path)],
                                env={"COLUMNS": "250"})  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {
        (cells[1], cells[2]): cells
        for line in result.output.splitlines()
        if line.startswith("│")
        and len(cells := [c.strip() for c in line.strip("│").split("│")]) > 5
    }
    taoji = rows[("taoji", "patrol")]
    assert taoji[0] == f"{last + timedelta(hours=2):%Y-%m-%d %H:%M}"
    assert taoji[3] == "2h" and taoji[5] == f"{last:%Y-%m-%d %H:%M}"
    assert "crawl taoji --base-url http://127.0.0.1:8401/" in taoji[6]
    bazaar = rows[("bazaar", "patrol")]  # in quiet hours: it runs when they end
    assert bazaar[0].endswith(f" {quiet_end:02d}:00") and bazaar[5] == "never"
    assert bazaar[4] == f"{quiet_start:02d}:00-{quiet_end:02d}:00"
    assert rows[("taoji", "recheck")][5] == "never"
