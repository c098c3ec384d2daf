"""Odd arguments are refused with one line naming the option, before the database sees them:
bytes that are not UTF-8 (as Linux hands them over), ids past any key column, deadlines and
durations past the last datetime, numbers that are not finite, options given as "". Nothing
is stored by a refused command."""

from __future__ import annotations

import click
import pytest
from sqlalchemy import func, select

from patrol.cli import cli
from patrol.cli._common import Number, Text
from patrol.db import Database
from patrol.db.models import Case, Lead, LeadEvent
from tests.cli.invoke import Invoke
from tests.cli.seed import seed_world

NOT_UTF8 = b"\xff\xfe".decode("utf-8", "surrogateescape")  # as sys.argv holds b"\xff\xfe"
HUGE = "99999999999999999999999"


def _history(db: Database) -> tuple[int, int, list[tuple[str, str | None]]]:
    with db.sessions() as session:
        events = session.scalar(select(func.count()).select_from(LeadEvent)) or 0
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        leads = list(session.execute(select(Lead.status, Lead.assignee).order_by(Lead.id)))
        return events, cases, [(status, assignee) for status, assignee in leads]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["leads", "list", "--site", NOT_UTF8], "--site"),
        (["leads", "list", "--shop", NOT_UTF8], "--shop"),
        (["leads", "move", "{lead}", "triaged", "--reason", NOT_UTF8], "--reason"),
        (["leads", "move", "{lead}", "triaged", "--actor", NOT_UTF8], "--actor"),
        (["leads", "assign", "{lead}", "--to", NOT_UTF8], "--to"),
        (["leads", "dismiss", "{lead}", "--reason", NOT_UTF8], "--reason"),
        (["cases", "create", "--title", NOT_UTF8], "--title"),
        (["cases", "create", "--shop", f"taoji:{NOT_UTF8}"], "--shop"),
        (["runs", "--site", NOT_UTF8], "--site"),
        (["export", "leads", "--site", NOT_UTF8, "--out", "{tmp}/x.csv"], "--site"),
    ],
)
def test_text_that_is_not_utf8_is_refused_naming_the_option(
    db: Database, patrol: Invoke, tmp_path: object, args: list[str], option: str
) -> None:
    lead = seed_world(db)["1"]
    before = _history(db)
    args = [arg.format(lead=lead, tmp=tmp_path) for arg in args]
    result = patrol(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert "not valid UTF-8" in result.output
    assert _history(db) == before


def test_a_user_name_that_is_not_utf8_asks_for_actor(
    db: Database, patrol: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = seed_world(db)["1"]
    monkeypatch.setenv("USER", NOT_UTF8)
    before = _history(db)
    result = patrol("leads", "move", str(lead), "triaged")
    assert result.exit_code == 2, result.output
    assert "$USER" in result.output and "--actor" in result.output
    assert _history(db) == before
    assert patrol("leads", "move", str(lead), "triaged", "--actor", "amy").exit_code == 0


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["leads", "show", HUGE], "LEAD_ID"),
        (["leads", "move", HUGE, "triaged"], "LEAD_ID"),
        (["leads", "assign", HUGE, "--to", "li"], "LEAD_ID"),
        (["leads", "dismiss", HUGE, "--reason", "x"], "LEAD_ID"),
        (["leads", "list", "--limit", HUGE], "--limit"),
        (["leads", "list", "--case", HUGE], "--case"),
        (["cases", "show", HUGE], "CASE_ID"),
        (["cases", "add", HUGE, "1"], "CASE_ID"),
        (["cases", "add", "1", HUGE], "LEAD_IDS..."),
        (["cases", "key", HUGE, "--officer", "li", "--due", "2999-01-01"], "CASE_ID"),
        (["runs", "--limit", HUGE], "--limit"),
        (["leads", "show", "0"], "LEAD_ID"),
    ],
)
def test_an_id_or_limit_out_of_range_is_refused_naming_it(
    db: Database, patrol: Invoke, args: list[str], name: str
) -> None:
    seed_world(db)
    result = patrol(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{name}'" in result.output
    assert "range" in result.output


def test_the_largest_id_is_simply_not_found(db: Database, patrol: Invoke) -> None:
    result = patrol("leads", "show", str(2**31 - 1))
    assert result.exit_code == 2, result.output
    assert "no lead #2147483647" in result.output


def test_a_deadline_past_year_9999_in_utc_is_refused(db: Database, patrol: Invoke) -> None:
    lead = seed_world(db)["1"]
    assert patrol("leads", "move", str(lead), "triaged", "--actor", "amy").exit_code == 0
    before = _history(db)
    result = patrol("leads", "assign", str(lead), "--to", "li", "--due", "9999-12-31T23:59-05:00")
    assert result.exit_code == 2, result.output
    assert "bad due date '9999-12-31T23:59-05:00'" in result.output
    assert _history(db) == before
    result = patrol("leads", "assign", str(lead), "--to", "li", "--due", "9999-12-31T23:59+05:00")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("duration", ["99999999999d", "999999999d", "36526d", "99999999999999h"])
def test_a_schedule_duration_past_a_century_is_refused(patrol: Invoke, duration: str) -> None:
    result = patrol("schedule", "run", "--for", duration)
    assert result.exit_code == 2, result.output
    assert f"bad --for '{duration}': at most 36525d" in result.output


def test_a_schedule_duration_of_more_digits_than_int_reads_is_refused(patrol: Invoke) -> None:
    result = patrol("schedule", "run", "--for", "9" * 5000 + "d")
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: bad --for '{'9' * 30}…': at most 36525d\n"


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:00", "9001-01-01T00:00", "0001-01-01T00:00", "0001-01-01T00:00+05:00"]
)
def test_a_schedule_start_near_the_end_of_time_is_refused(
    db: Database, patrol: Invoke, start: str
) -> None:
    result = patrol("schedule", "run", "--start", start, "--for", "2h")
    assert result.exit_code == 2, result.output
    assert f"bad --start '{start}': the year must be from 2 to 9000" in result.output


#: a second argument that a command refuses after parsing: should the option under test be
#: let through, the command stops on this instead of serving or patrolling for ever
_STOP = {
    "serve": ["--listings", "-1"],
    "schedule": ["--start", "9999-12-31T23:00"],
    "crawl": ["--workers", "2"],
}


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400"])
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["leads", "list", "--min-score"], "--min-score"),
        (["export", "leads", "--out", "{tmp}/x.csv", "--min-score"], "--min-score"),
        (["registry", "search", "nike", "--min-score"], "--min-score"),
        (["schedule", "run", *_STOP["schedule"], "--for", "1h", "--speed"], "--speed"),
        (["marketplaces", "serve", "--site", "taoji", *_STOP["serve"], "--speed"], "--speed"),
        (["marketplaces", "serve", "--site", "taoji", *_STOP["serve"], "--hour"], "--hour"),
        (["marketplaces", "truth", "--site", "taoji", "--listings", "1", "--hour"], "--hour"),
    ],
)
def test_a_number_that_is_not_finite_is_refused_naming_the_option(
    db: Database, patrol: Invoke, tmp_path: object, args: list[str], option: str, value: str
) -> None:
    seed_world(db)
    before = _history(db)
    result = patrol(*[arg.format(tmp=tmp_path) for arg in args], value)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': {value!r} is not a finite number" in result.output
    assert _history(db) == before


def test_finite_numbers_still_filter(db: Database, patrol: Invoke) -> None:
    seed_world(db)
    result = patrol("leads", "list", "--min-score", "1e300")
    assert result.exit_code == 0, result.output
    result = patrol("registry", "search", "nike", "--min-score", "101")
    assert result.exit_code == 2 and "not in the range 0<=x<=100" in result.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["schedule", "run", *_STOP["schedule"], "--for", ""], "--for"),
        (["schedule", "run", *_STOP["schedule"], "--config", ""], "--config"),
        (["schedule", "show", "--config", ""], "--config"),
        (["crawl", "taoji", *_STOP["crawl"], "--base-url", ""], "--base-url"),
        (["crawl", "taoji", *_STOP["crawl"], "--job-dir", ""], "--job-dir"),
        (["worker", "taoji", "--base-url", ""], "--base-url"),
        (["worker", "taoji", "--patrol", ""], "--patrol"),
        (["rules", "test", "--rules", ""], "--rules"),
        (["rules", "lint", "--rules", ""], "--rules"),
        (["rules", "explain", "--title", "x", "--rules", ""], "--rules"),
        (["rules", "explain", "--title", "x", "--currency", ""], "--currency"),
        (["rules", "replay", "--rules", ""], "--rules"),
        (["leads", "list", "--site", ""], "--site"),
        (["leads", "list", "--shop", ""], "--shop"),
        (["leads", "list", "--assignee", ""], "--assignee"),
        (["leads", "list", "--brand", ""], "--brand"),
        (["leads", "list", "--rule", ""], "--rule"),
        (["leads", "assign", "{lead}", "--to", "li", "--due", ""], "--due"),
        (["leads", "assign", "{lead}", "--to", ""], "--to"),
        (["leads", "move", "{lead}", "triaged", "--actor", ""], "--actor"),
        (["leads", "recheck", "--site", "taoji", "--base-url", ""], "--base-url"),
        (["cases", "create", "--shop", ""], "--shop"),
        (["export", "leads", "--out", ""], "--out"),
        (["report", "weekly", "--week", ""], "--week"),
        (["report", "monthly", "--month", ""], "--month"),
        (["runs", "--since", ""], "--since"),
        (["db", "status", "--url", ""], "--url"),
        (["marketplaces", "serve", *_STOP["serve"], "--faults", ""], "--faults"),
        (["marketplaces", "truth", "--site", "taoji", "--out", ""], "--out"),
    ],
)
def test_an_empty_option_is_refused_naming_it(
    db: Database, patrol: Invoke, args: list[str], option: str
) -> None:
    lead = seed_world(db)["1"]
    before = _history(db)
    result = patrol(*[arg.format(lead=lead) for arg in args])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': an empty value is not allowed" in result.output
    assert _history(db) == before


def _options(command: click.Command) -> list[tuple[str, click.Option]]:
    found = []
    for param in command.params:
        if isinstance(param, click.Option):
            found.append((f"{command.name} {param.opts[0]}", param))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            found += _options(sub)
    return found


def test_every_number_option_is_finite_and_no_text_option_takes_an_empty_value() -> None:
    """New options inherit the rules: a plain ``float`` would let NaN through again."""
    for name, option in _options(cli):
        assert not isinstance(option.type, click.types.FloatParamType) or isinstance(
            option.type, Number
        ), name
        if option.is_flag or option.default == "":
            continue
        if isinstance(option.type, click.types.StringParamType | Text | click.Path):
            with pytest.raises(click.BadParameter, match="an empty value is not allowed"):
                option.type.convert("", option, None)
