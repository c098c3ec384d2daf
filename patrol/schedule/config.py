"""``schedule.yaml``: each site's interval and quiet hours, and the takedown recheck.

A schedule is written by hand, so every mistake is reported as ``file:line: key: what is
wrong`` (a bad interval, an unknown site, a quiet-hours range that is not ``HH:MM-HH:MM``).
Intervals are at most a century (:data:`MAX_INTERVAL`) and ``stop_timeout`` at most a day
(:data:`MAX_STOP_TIMEOUT`): the schedule clock and its deadlines must stay within the
datetimes Python can hold, so a typo of many digits is a problem on its line, not an
overflow at the first slot.
Commands are argument lists with ``{python}``, ``{site}`` and ``{base_url}`` filled in per
run; the defaults run ``patrol crawl`` and ``patrol leads recheck``. See the documented
example ``schedule.yaml`` at the repository root.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from patrol.crawl.yamlmarks import MarkedYaml, YamlSyntaxError, load_marked_yaml
from patrol.errors import PatrolError
from patrol.textfiles import NotUtf8Error, read_utf8

__all__ = [
    "DEFAULT_PATROL_COMMAND",
    "DEFAULT_RECHECK_COMMAND",
    "MAX_INTERVAL",
    "MAX_STOP_TIMEOUT",
    "Job",
    "QuietHours",
    "ScheduleConfig",
    "ScheduleError",
    "interval_seconds",
    "load_schedule",
    "parse_interval",
]

DEFAULT_PATROL_COMMAND: tuple[str, ...] = (
    "{python}",
    "-m",
    "patrol",
    "crawl",
    "{site}",
    "--base-url",
    "{base_url}",
)
DEFAULT_RECHECK_COMMAND: tuple[str, ...] = (
    "{python}", "-m", "patrol", "leads", "recheck", "--site", "{site}", "--base-url", "{base_url}",
)  # fmt: skip

_INTERVAL = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_QUIET = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_TOP_KEYS = {"sites", "recheck", "patrol_command", "recheck_command", "stop_timeout"}
_SITE_KEYS = {"base_url", "every", "quiet_hours", "recheck", "command"}
_RECHECK_KEYS = {"every", "quiet_hours"}
_PLACEHOLDERS = {"python", "site", "base_url"}

#: the longest interval: a century (the schedule clock starts by year 9000 and must stay
#: within year 9999)
MAX_INTERVAL = timedelta(days=36525)
#: the longest ``stop_timeout``, in seconds: a day
MAX_STOP_TIMEOUT = 86400.0
_TOO_LONG = int(MAX_INTERVAL.total_seconds()) + 1


class ScheduleError(PatrolError):
    """A schedule file that cannot be used; the message names the file and line."""


def interval_seconds(text: str) -> int | None:
    """``90s``, ``30m``, ``2h``, ``1h30m``, ``1d`` → whole seconds (0 for ``0m``); else None.

    Any number of digits is read without overflow; one past :data:`MAX_INTERVAL` stands for
    a number too long to read at all.
    """
    match = _INTERVAL.match(text.strip().lower()) if text.strip() else None
    if match is None:
        return None
    try:
        days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    except ValueError:  # more digits than int() reads: far past any limit
        return _TOO_LONG
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_interval(text: str) -> timedelta | None:
    """A positive interval of at most :data:`MAX_INTERVAL` (see :func:`interval_seconds`);
    else None."""
    seconds = interval_seconds(text)
    if seconds is None or not 0 < seconds <= MAX_INTERVAL.total_seconds():
        return None
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class QuietHours:
    """A daily window (UTC) in which no run starts; it may wrap past midnight."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: datetime) -> bool:
        now = moment.time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first instant after ``moment`` at which this window is over."""
        end = moment.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > moment else end + timedelta(days=1)


@dataclass(frozen=True)
class Job:
    """One recurring run: a patrol of a site, or the recheck of its open leads."""

    site: str
    kind: str  # "patrol" | "recheck"
    every: timedelta
    quiet: QuietHours | None
    argv: tuple[str, ...]  # with placeholders filled in, except {python}

    @property
    def name(self) -> str:
        return f"{self.site} {self.kind}"

    def quiet_until(self, moment: datetime) -> datetime | None:
        """If ``moment`` is in quiet hours, when they end; else None."""
        if self.quiet is None or not self.quiet.contains(moment):
            return None
        return self.quiet.ends_after(moment)


@dataclass(frozen=True)
class ScheduleConfig:
    source: Path
    jobs: tuple[Job, ...]
    stop_timeout: float = 30.0

    @property
    def sites(self) -> list[str]:
        return sorted({job.site for job in self.jobs})


class _Reader:
    def __init__(self, path: Path, doc: MarkedYaml) -> None:
        self.path = path
        self.doc = doc

    def fail(self, where: tuple[str | int, ...], message: str) -> ScheduleError:
        key = ".".join(str(part) for part in where)
        prefix = f"{self.path}:{self.doc.line_of(where)}"
        return ScheduleError(f"{prefix}: {key}: {message}" if key else f"{prefix}: {message}")

    def mapping(self, value: Any, where: tuple[str | int, ...], keys: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping")
        for key in value:
            if key not in keys:
                allowed = ", ".join(sorted(keys))
                raise self.fail((*where, key), f"unknown key (allowed: {allowed})")
        return value

    def interval(self, value: Any, where: tuple[str | int, ...]) -> timedelta:
        seconds = interval_seconds(value) if isinstance(value, str) else None  # a bare number
        shown = repr(value) if len(str(value)) <= 40 else repr(f"{str(value)[:30]}…")
        if not seconds:  # has no unit
            raise self.fail(where, f"bad interval {shown} (use e.g. 30m, 2h, 1h30m, 1d)")
        if seconds > MAX_INTERVAL.total_seconds():
            raise self.fail(where, f"bad interval {shown}: at most {MAX_INTERVAL.days}d")
        return timedelta(seconds=seconds)

    def stop_timeout(self, value: Any) -> float:
        where = ("stop_timeout",)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number of seconds > 0, not {value!r}")
        if not math.isfinite(value) or not 0 < value <= MAX_STOP_TIMEOUT:
            limit = f"{MAX_STOP_TIMEOUT:g} (a day)"
            raise self.fail(
                where, f"expected a number of seconds > 0 and at most {limit}, not {value!r}"
            )
        return float(value)

    def quiet(self, value: Any, where: tuple[str | int, ...]) -> QuietHours | None:
        if value is None:
            return None
        match = _QUIET.match(str(value).strip()) if isinstance(value, str) else None
        if match is None:
            raise self.fail(where, f"bad quiet hours {value!r} (use HH:MM-HH:MM, UTC)")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise self.fail(where, f"bad quiet hours {value!r}: not a time of day")
        quiet = QuietHours(time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2))
        if quiet.start == quiet.end:
            raise self.fail(where, f"quiet hours {value!r} are empty")
        return quiet

    def command(self, value: Any, where: tuple[str | int, ...]) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "expected a list of strings (the command and its arguments)")
        for part in value:
            for name in re.findall(r"{(\w*)}", part):
                if name not in _PLACEHOLDERS:
                    known = ", ".join("{" + p + "}" for p in sorted(_PLACEHOLDERS))
                    raise self.fail(where, f"unknown placeholder {{{name}}} (known: {known})")
        return tuple(value)

    def schedule(self) -> ScheduleConfig:
        from patrol.crawl.profile import check_base_url, load_profile

        top = self.mapping(self.doc.data, (), _TOP_KEYS)
        patrol_command = DEFAULT_PATROL_COMMAND
        if "patrol_command" in top:
            patrol_command = self.command(top["patrol_command"], ("patrol_command",))
        recheck_command = DEFAULT_RECHECK_COMMAND
        if "recheck_command" in top:
            recheck_command = self.command(top["recheck_command"], ("recheck_command",))
        recheck_every: timedelta | None = None
        recheck_quiet: QuietHours | None = None
        if top.get("recheck") is not None:
            recheck = self.mapping(top["recheck"], ("recheck",), _RECHECK_KEYS)
            if "every" not in recheck:
                raise self.fail(("recheck",), "missing key 'every'")
            recheck_every = self.interval(recheck["every"], ("recheck", "every"))
            recheck_quiet = self.quiet(recheck.get("quiet_hours"), ("recheck", "quiet_hours"))
        stop_timeout = self.stop_timeout(top.get("stop_timeout", 30))
        sites = top.get("sites")
        if not isinstance(sites, dict) or not sites:
            raise self.fail(("sites",), "expected a mapping of site names to their schedule")
        jobs: list[Job] = []
        for site, entry in sites.items():
            where: tuple[str | int, ...] = ("sites", site)
            data = self.mapping(entry, where, _SITE_KEYS)
            try:
                profile = load_profile(str(site))
            except PatrolError as exc:
                raise self.fail(where, exc.message) from None
            base_url = profile.base_url
            if data.get("base_url") is not None:
                try:
                    base_url = check_base_url(str(data["base_url"]))
                except PatrolError as exc:
                    raise self.fail((*where, "base_url"), exc.message) from None
            if "every" not in data:
                raise self.fail(where, "missing key 'every'")
            every = self.interval(data["every"], (*where, "every"))
            quiet = self.quiet(data.get("quiet_hours"), (*where, "quiet_hours"))
            command = patrol_command
            if "command" in data:
                command = self.command(data["command"], (*where, "command"))
            fill = {"site": str(site), "base_url": base_url}
            jobs.append(Job(str(site), "patrol", every, quiet, _fill(command, fill)))
            wants_recheck = data.get("recheck", True)
            if not isinstance(wants_recheck, bool):
                raise self.fail((*where, "recheck"), "expected true or false")
            if recheck_every is not None and wants_recheck:
                argv = _fill(recheck_command, fill)
                jobs.append(Job(str(site), "recheck", recheck_every, recheck_quiet, argv))
        return ScheduleConfig(source=self.path, jobs=tuple(jobs), stop_timeout=stop_timeout)


def _fill(command: tuple[str, ...], values: dict[str, str]) -> tuple[str, ...]:
    return tuple(
        re.sub(r"{(site|base_url)}", lambda m: values[m.group(1)], part) for part in command
    )


def load_schedule(path: Path) -> ScheduleConfig:
    """Read and validate ``path``; raise :class:`ScheduleError` naming file and line."""
    try:
        text = read_utf8(path)
    except NotUtf8Error as exc:
        raise ScheduleError(f"{path}:{exc.line}: cannot read schedule: {exc}") from None
    except OSError as exc:
        raise ScheduleError(f"{path}: cannot read schedule: {exc}") from None
    try:
        doc = load_marked_yaml(text, path)
    except YamlSyntaxError as exc:
        raise ScheduleError(f"{path}:{exc.line}: not valid YAML: {exc}") from None
    if doc.data is None:
        raise ScheduleError(f"{path}:1: the schedule is empty")
    return _Reader(path, doc).schedule()
