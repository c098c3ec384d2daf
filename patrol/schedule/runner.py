"""Running the schedule: each due job as its own OS process, one run per site at a time.

The loop is a plain poll over a handful of jobs (a scheduler for three sites needs no
framework): a job whose time has come starts unless its site is busy or in quiet hours.
Slots are on a fixed grid (start + k·every); slots that pass while the site is busy are
*coalesced* into the one run that starts when it is free, never stacked. A run that exits
with an error is recorded in ``patrol_runs`` as ``failed`` (with the end of its log) if the
crawl could not record itself, and the schedule goes on. SIGINT/SIGTERM stop it cleanly:
no new run starts, running ones get SIGTERM (Scrapy shuts down gracefully) and, after
``stop_timeout``, SIGKILL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from patrol.schedule.clock import ScheduleClock
from patrol.schedule.config import Job, ScheduleConfig

__all__ = ["RunRecord", "ScheduleRunner", "first_due"]

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.05


@dataclass
class RunRecord:
    """One run the scheduler started (schedule time and real time)."""

    site: str
    kind: str
    pid: int
    scheduled_for: datetime
    started: datetime  # schedule clock
    real_started: datetime
    log: Path
    coalesced: int = 0  # slots missed while the site was busy, folded into this run
    ended: datetime | None = None
    real_ended: datetime | None = None
    returncode: int | None = None
    recorded_failed: bool = False

    @property
    def status(self) -> str:
        if self.returncode is None:
            return "running"
        return "ok" if self.returncode == 0 else f"exit {self.returncode}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "kind": self.kind,
            "pid": self.pid,
            "scheduled_for": self.scheduled_for.isoformat(),
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "real_started": self.real_started.isoformat(),
            "real_ended": self.real_ended.isoformat() if self.real_ended else None,
            "returncode": self.returncode,
            "coalesced": self.coalesced,
            "recorded_failed": self.recorded_failed,
            "log": str(self.log),
        }


@dataclass
class _JobState:
    job: Job
    next_due: datetime
    runs: int = 0
    coalesced: int = 0
    quiet_skips: int = 0


@dataclass
class _Running:
    record: RunRecord
    process: subprocess.Popen[bytes]
    log_handle: Any = field(repr=False)


def first_due(job: Job, now: datetime, last_started: datetime | None) -> datetime:
    """When ``job`` is first due: now, unless its last run started less than ``every`` ago."""
    if job.kind == "recheck" and last_started is None:
        return now + job.every  # nothing has been patrolled yet: nothing to recheck
    if last_started is None or last_started + job.every <= now:
        return now
    return last_started + job.every


class ScheduleRunner:
    def __init__(
        self,
        config: ScheduleConfig,
        clock: ScheduleClock,
        *,
        log_dir: Path,
        record_failure: Callable[[RunRecord, str], bool] | None = None,
        on_event: Callable[[str, RunRecord | None, str], None] | None = None,
        last_started: dict[tuple[str, str], datetime] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.log_dir = log_dir
        self.record_failure = record_failure
        self.on_event = on_event or (lambda kind, record, message: None)
        now = clock.now()
        known = last_started or {}
        self.states = [
            _JobState(job, first_due(job, now, known.get((job.site, job.kind))))
            for job in config.jobs
        ]
        self.running: dict[str, _Running] = {}  # site → its one running run
        self.records: list[RunRecord] = []
        self._stop = threading.Event()
        self.stop_reason: str | None = None
        self._previous_handlers: dict[int, Any] = {}

    # -- control ----------------------------------------------------------------------

    def request_stop(self, reason: str = "stopped") -> None:
        self.stop_reason = self.stop_reason or reason
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            self.request_stop(signal.Signals(signum).name)

        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[signum] = signal.signal(signum, handler)

    def _restore_signal_handlers(self) -> None:
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous)
        self._previous_handlers.clear()

    # -- the loop ---------------------------------------------------------------------

    def run(self, until: datetime | None = None) -> list[RunRecord]:
        """Run jobs until ``until`` (schedule time) or a stop request; return all runs."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            while not self._stop.is_set():
                now = self.clock.now()
                self._reap(now)
                if until is not None and now >= until:
                    self.stop_reason = self.stop_reason or "end of --for"
                    break
                self._start_due(now)
                self._stop.wait(self._pause(now, until))
        finally:
            try:
                self._finish()
            finally:
                self._restore_signal_handlers()
        return self.records

    def _pause(self, now: datetime, until: datetime | None) -> float:
        waits = [state.next_due for state in self.states if state.job.site not in self.running]
        if until is not None:
            waits.append(until)
        if not waits:
            return _POLL_SECONDS
        seconds = self.clock.real_seconds(min(waits) - now)
        return min(max(seconds, 0.0), _POLL_SECONDS)

    def _start_due(self, now: datetime) -> None:
        for state in sorted(self.states, key=lambda s: (s.next_due, s.job.kind != "patrol")):
            job = state.job
            if now < state.next_due or job.site in self.running:
                continue  # not yet, or coalesced into the run that starts when the site is free
            quiet_end = job.quiet_until(now)
            if quiet_end is not None:
                state.quiet_skips += 1
                self.on_event("quiet", None, f"{job.name}: quiet hours until {quiet_end:%H:%M}")
                state.next_due = quiet_end  # the slots in quiet hours fold into one run then
                continue
            missed = int((now - state.next_due) / job.every)
            scheduled_for = state.next_due
            state.next_due = self._next_slot(state, now)
            state.coalesced += missed
            self._launch(state, now, scheduled_for, missed)

    @staticmethod
    def _next_slot(state: _JobState, after: datetime) -> datetime:
        """The first grid slot (next_due + k·every) strictly after ``after``."""
        every = state.job.every
        steps = int((after - state.next_due) / every) + 1
        return state.next_due + steps * every

    def _launch(
        self, state: _JobState, now: datetime, scheduled_for: datetime, missed: int
    ) -> None:
        job = state.job
        argv = [sys.executable if part == "{python}" else part for part in job.argv]
        argv = [part.replace("{python}", sys.executable) for part in argv]
        stamp = datetime.now(UTC)
        log = self.log_dir / f"{job.site}-{job.kind}-{stamp:%Y%m%dT%H%M%S%f}.log"
        handle = log.open("wb")
        try:
            process = subprocess.Popen(
                argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            handle.write(f"cannot start {argv[0]}: {exc}\n".encode())
            handle.close()
            record = RunRecord(job.site, job.kind, 0, scheduled_for, now, stamp, log, missed)
            record.ended, record.real_ended, record.returncode = now, stamp, 127
            self.records.append(record)
            self._failed(record)
            return
        state.runs += 1
        record = RunRecord(job.site, job.kind, process.pid, scheduled_for, now, stamp, log, missed)
        self.records.append(record)
        self.running[job.site] = _Running(record, process, handle)
        extra = f" ({missed} missed slot(s) coalesced)" if missed else ""
        self.on_event("start", record, f"{job.name} started, pid {process.pid}{extra}")

    def _reap(self, now: datetime) -> None:
        for site, running in list(self.running.items()):
            returncode = running.process.poll()
            if returncode is None:
                continue
            self._ended(site, running, returncode, now)

    def _ended(self, site: str, running: _Running, returncode: int, now: datetime) -> None:
        running.log_handle.close()
        record = running.record
        record.returncode = returncode
        record.ended = now
        record.real_ended = datetime.now(UTC)
        del self.running[site]
        if returncode != 0:
            self._failed(record)
        seconds = (record.real_ended - record.real_started).total_seconds()
        detail = _log_tail(record.log, 1)  # a crawl's last line is its summary
        self.on_event(
            "end",
            record,
            f"{site} {record.kind} {record.status} in {seconds:.1f}s"
            + (f": {detail}" if detail else ""),
        )

    def _failed(self, record: RunRecord) -> None:
        if self.record_failure is None:
            return
        try:
            record.recorded_failed = self.record_failure(record, _log_tail(record.log))
        except Exception:  # recording must never stop the schedule
            logger.exception("could not record the failed run of %s", record.site)

    def _finish(self) -> None:
        """Stop: let running runs end (SIGTERM first if stopped), then reap them."""
        interrupted = self._stop.is_set()
        if interrupted:
            for running in self.running.values():
                _signal_group(running.process, signal.SIGTERM)
        deadline = datetime.now(UTC) + timedelta(seconds=self.config.stop_timeout)
        while self.running:
            now = self.clock.now()
            self._reap(now)
            if not self.running:
                break
            if datetime.now(UTC) >= deadline:
                for running in self.running.values():
                    _signal_group(running.process, signal.SIGKILL)
                deadline = datetime.now(UTC) + timedelta(seconds=5)
            threading.Event().wait(_POLL_SECONDS)

    def summary(self) -> list[dict[str, Any]]:
        """Per job: runs started, coalesced slots, quiet-hour skips, failures, next due."""
        rows = []
        for state in self.states:
            mine = [r for r in self.records if (r.site, r.kind) == (state.job.site, state.job.kind)]
            rows.append(
                {
                    "site": state.job.site,
                    "kind": state.job.kind,
                    "runs": len(mine),
                    "failed": sum(1 for r in mine if r.returncode not in (0, None)),
                    "coalesced": state.coalesced,
                    "quiet_skips": state.quiet_skips,
                    "next_due": state.next_due.isoformat(),
                }
            )
        return rows


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return ""
    tail = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(tail)[:500]
