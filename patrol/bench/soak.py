"""`patrol bench soak`: the 24-hour schedule at high clock speed, watching memory.

The scheduler (:mod:`patrol.schedule`) runs a simulated day against the fixture
marketplaces, whose own clocks run at the same speed (listings appear, change price and
disappear through the day), each run a real ``patrol crawl`` process writing to one
database. Every second the RSS of every process is sampled: this process (the
scheduler), each fixture server, and each patrol run with its children. The report:
runs (started, succeeded, recorded), listings, leads, errors, the memory over time, and
two verdicts — did memory level off (long-lived processes: growth from the second quarter's
peak to the last quarter's under 25%; patrol runs: the last runs' peaks against the first
runs'), and was no run lost (every run started has a ``patrol_runs`` row that ended)?
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

__all__ = ["bench_soak"]


@dataclass
class _Memory:
    """RSS samples (MB) per process name, and the peak of each patrol run."""

    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # hour, MB
    run_peaks: dict[int, float] = field(default_factory=dict)  # pid → peak MB

    def add(self, name: str, hour: float, mb: float) -> None:
        self.series.setdefault(name, []).append((hour, mb))


def _rss_tree(pid: int) -> float:
    import psutil

    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
    except psutil.Error:
        return 0.0
    return float(total) / 2**20


def _levels_off(values: list[float]) -> tuple[float, bool]:
    """Growth (%) from the second quarter's peak to the last quarter's; under 25% is flat."""
    if len(values) < 8:
        return 0.0, True
    quarter = len(values) // 4
    early, late = max(values[quarter : 2 * quarter]), max(values[-quarter:])
    growth = (late - early) / early * 100 if early else 0.0
    return round(growth, 1), growth < 25.0


def _write_schedule(path: Path, urls: dict[str, str], every: str, recheck: str) -> None:
    lines = ["sites:"]
    for site, url in urls.items():
        lines += [f"  {site}:", f"    base_url: {url}", f"    every: {every}"]
    lines += ["recheck:", f"  every: {recheck}", "stop_timeout: 30"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _database_totals() -> dict[str, Any]:
    from sqlalchemy import func, select

    from patrol.db import open_database
    from patrol.db.models import Lead, ListingRow, PatrolRun

    database = open_database()
    try:
        with database.sessions() as session:
            statuses = dict(
                session.execute(
                    select(PatrolRun.status, func.count()).group_by(PatrolRun.status)
                ).all()
            )
            runs = session.execute(
                select(func.count(), func.sum(PatrolRun.listings), func.sum(PatrolRun.errors))
            ).one()
            return {
                "run_rows": int(runs[0]),
                "listings_seen": int(runs[1] or 0),
                "run_errors": int(runs[2] or 0),
                "run_statuses": {str(k): int(v) for k, v in statuses.items()},
                "listings": int(session.scalar(select(func.count()).select_from(ListingRow)) or 0),
                "leads": int(session.scalar(select(func.count()).select_from(Lead)) or 0),
            }
    finally:
        database.dispose()


@click.command(name="soak")
@click.option("--hours", default=24.0, show_default=True, help="Simulated hours to run.")
@click.option(
    "--speed",
    default=288.0,
    show_default=True,
    help="Simulated hours per real hour (288: a day in 5 minutes).",
)
@click.option("--every", default="1h", show_default=True, help="Patrol interval of each site.")
@click.option("--recheck", default="6h", show_default=True, help="Takedown recheck interval.")
@click.option(
    "--sites",
    default="taoji,bazaar",
    show_default=True,
    help="Fixture sites, comma-separated (kuaigou adds a browser to every run).",
)
@click.option("--listings", default=300, show_default=True, help="Listings per site.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_soak(
    hours: float,
    speed: float,
    every: str,
    recheck: str,
    sites: str,
    listings: int,
    seed: int,
    as_json: bool,
) -> None:
    """A simulated day of scheduled patrols: runs, listings, leads, errors, memory."""
    from contextlib import ExitStack

    from patrol.db import upgrade_database
    from patrol.distributed.services import served_site
    from patrol.errors import PatrolError
    from patrol.schedule import load_schedule
    from patrol.schedule.clock import ScheduleClock
    from patrol.schedule.record import record_failed_run
    from patrol.schedule.runner import RunRecord, ScheduleRunner

    names = [name.strip() for name in sites.split(",") if name.strip()]
    unknown = set(names) - {"taoji", "bazaar", "kuaigou"}
    if not names or unknown:
        raise PatrolError(f"--sites: unknown or no sites ({', '.join(sorted(unknown))})")
    if hours <= 0 or speed <= 0 or listings < 1:
        raise PatrolError("--hours, --speed and --listings must be positive")

    memory = _Memory()
    with tempfile.TemporaryDirectory(prefix="patrol-bench-soak-") as home, ExitStack() as stack:
        saved = {name: os.environ.get(name) for name in ("PATROL_HOME", "PATROL_DATABASE_URL")}
        os.environ["PATROL_HOME"] = home
        os.environ.pop("PATROL_DATABASE_URL", None)
        (Path(home) / "var").mkdir()
        upgrade_database()
        servers = {
            site: stack.enter_context(
                served_site(site, listings=listings, seed=seed, hour=0, speed=speed)
            )
            for site in names
        }
        schedule_path = Path(home) / "schedule.yaml"
        _write_schedule(
            schedule_path, {site: s.base_url for site, s in servers.items()}, every, recheck
        )
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        clock = ScheduleClock(start, speed)
        running: dict[int, str] = {}

        def on_event(kind: str, record: RunRecord | None, message: str) -> None:
            if record is not None and kind == "start":
                running[record.pid] = record.site
            elif record is not None and kind == "end":
                running.pop(record.pid, None)

        runner = ScheduleRunner(
            load_schedule(schedule_path),
            clock,
            log_dir=Path(home) / "var" / "logs" / "schedule",
            record_failure=record_failed_run,
            on_event=on_event,
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                hour = (clock.now() - start).total_seconds() / 3600
                memory.add("scheduler", hour, _rss_tree(os.getpid()) - _children_mb())
                for site, served in servers.items():
                    memory.add(f"server:{site}", hour, served.rss_mb())
                for pid in list(running):
                    mb = _rss_tree(pid)
                    memory.add("patrol runs", hour, mb)
                    memory.run_peaks[pid] = max(memory.run_peaks.get(pid, 0.0), mb)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        real_started = time.monotonic()
        try:
            records = runner.run(until=start + timedelta(hours=hours))
        finally:
            done.set()
            sampler.join(5)
        real_seconds = time.monotonic() - real_started
        totals = _database_totals()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    report = _report(records, totals, memory, hours, speed, real_seconds)
    if as_json:
        click.echo(json.dumps(report))
        return
    _print(report)


def _children_mb() -> float:
    """RSS of this process's children (patrol runs, servers), to leave out of its own."""
    import psutil

    total = 0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return float(total) / 2**20


def _report(
    records: list[Any],
    totals: dict[str, Any],
    memory: _Memory,
    hours: float,
    speed: float,
    real_seconds: float,
) -> dict[str, Any]:
    started = len(records)
    succeeded = sum(1 for record in records if record.returncode == 0)
    left_running = totals["run_statuses"].get("running", 0)
    lost = max(started - totals["run_rows"], 0) + left_running
    levels: dict[str, Any] = {}
    for name, samples in memory.series.items():
        if name == "patrol runs":
            continue
        growth, flat = _levels_off([mb for _, mb in samples])
        levels[name] = {
            "peak_mb": round(max(mb for _, mb in samples), 1),
            "growth_pct": growth,
            "levels_off": flat,
        }
    peaks = [memory.run_peaks[pid] for pid in sorted(memory.run_peaks)]
    if len(peaks) >= 6:
        third = len(peaks) // 3
        first, last = statistics.median(peaks[:third]), statistics.median(peaks[-third:])
        run_growth = round((last - first) / first * 100, 1) if first else 0.0
    else:
        run_growth = 0.0
    levels["patrol runs"] = {
        "peak_mb": round(max(peaks, default=0.0), 1),
        "growth_pct": run_growth,
        "levels_off": run_growth < 25.0,
    }
    hourly: dict[int, dict[str, float]] = {}
    for name, samples in memory.series.items():
        for hour, mb in samples:
            slot = hourly.setdefault(int(hour), {})
            slot[name] = round(max(slot.get(name, 0.0), mb), 1)
    return {
        "simulated_hours": hours,
        "speed": speed,
        "real_seconds": round(real_seconds, 1),
        "runs_started": started,
        "runs_succeeded": succeeded,
        "runs_recorded": totals["run_rows"],
        "run_statuses": totals["run_statuses"],
        "runs_lost": lost,
        "no_run_lost": lost == 0,
        "listings_seen": totals["listings_seen"],
        "listings": totals["listings"],
        "leads": totals["leads"],
        "errors": totals["run_errors"] + (started - succeeded),
        "memory": levels,
        "memory_levels_off": all(level["levels_off"] for level in levels.values()),
        "memory_by_hour_mb": {str(hour): hourly[hour] for hour in sorted(hourly)},
    }


def _print(report: dict[str, Any]) -> None:
    click.echo(
        f"{report['simulated_hours']:g} simulated hours at x{report['speed']:g} in"
        f" {report['real_seconds']}s: {report['runs_started']} runs started,"
        f" {report['runs_succeeded']} succeeded, {report['runs_recorded']} recorded"
        f" {report['run_statuses']}; runs lost: {report['runs_lost']}"
    )
    click.echo(
        f"listings seen {report['listings_seen']} ({report['listings']} distinct),"
        f" leads {report['leads']}, errors {report['errors']}"
    )
    for name, level in report["memory"].items():
        click.echo(
            f"memory {name}: peak {level['peak_mb']} MB, growth {level['growth_pct']}%"
            f" -> levels off: {level['levels_off']}"
        )
    table = report["memory_by_hour_mb"]
    columns = sorted({name for values in table.values() for name in values})
    click.echo("peak RSS (MB) per simulated hour:")
    click.echo("hour" + "".join(f"{name:>15}" for name in columns))
    for hour, values in table.items():
        click.echo(f"{hour:>4}" + "".join(f"{values.get(name, ''):>15}" for name in columns))
    click.echo(
        f"memory levels off: {report['memory_levels_off']}; no run lost: {report['no_run_lost']}"
    )
