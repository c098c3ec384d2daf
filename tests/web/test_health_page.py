"""The patrol-health page: its numbers are the patrol_runs rows, its warnings those of
``patrol runs``, its charts plain accessible SVG."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from parsel import Selector
from sqlalchemy import select

from patrol.db import open_database
from patrol.db.models import PatrolRun, utcnow
from patrol.runhealth import run_warnings
from patrol.web.charts import Series, make_chart
from tests.web.server import ConsoleServer, sign_in


def _runs(database_url: str) -> None:
    """A week of runs of two sites: normal ones, a blocked one, one that shrank."""
    today = utcnow().replace(hour=6, minute=0, second=0, microsecond=0)
    rows = []
    for back in range(9, -1, -1):  # ten days: the first three fall outside a 7-day window
        start = today - timedelta(days=back)
        for site, listings in (("taoji", 400 + back), ("kuaigou", 200)):
            shrunk = site == "kuaigou" and back == 1
            rows.append(
                PatrolRun(
                    site=site,
                    spider="marketplace",
                    started_at=start,
                    finished_at=start + timedelta(seconds=600 + back),
                    status="blocked" if (site == "taoji" and back == 2) else "finished",
                    pages=20 + back,
                    errors=back % 3,
                    listings=50 if shrunk else listings,
                    stats={
                        "patrol/flagged": back + 1,
                        "patrol/leads_new": back,
                        "patrol/blocked_pages": 4 if back == 2 else 0,
                    },
                )
            )
    database = open_database(database_url)
    with database.sessions.begin() as session:
        session.add_all(rows)
    database.dispose()


def _page(console: ConsoleServer, query: str = "") -> str:
    with console.client() as client:
        assert sign_in(client, "li").status_code == 303
        page = client.get(f"/health{query}")
    assert page.status_code == 200, page.text
    return page.text


def _cells(row: Selector) -> list[str]:
    return [(cell.css("::text").get() or "").strip() for cell in row.css("td")]


def test_health_numbers_equal_the_runs(console: ConsoleServer) -> None:
    _runs(console.config.database_url)
    html = Selector(text=_page(console, "?days=7"))
    start = datetime.combine(utcnow().date() - timedelta(days=6), datetime.min.time(), UTC)
    database = open_database(console.config.database_url)
    with database.sessions() as session:
        runs = list(session.scalars(select(PatrolRun)))
    database.dispose()
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 7)
    for run in runs:
        if run.started_at < start:
            continue
        sums = expected[(run.site, run.started_at.date().isoformat())]
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        stats = run.stats
        for number, value in enumerate(
            (1, run.listings, stats["patrol/flagged"], stats["patrol/leads_new"], run.errors,
             stats["patrol/blocked_pages"], int(seconds))
        ):  # fmt: skip
            sums[number] += value
    shown = {}
    for row in html.css("table#health-days tbody tr"):
        cells = _cells(row)
        shown[(cells[0], cells[1])] = [int(c) for c in cells[2:9]]
    assert {k: v for k, v in shown.items() if v[0]} == dict(expected)
    assert len(shown) == 14  # every day of the window, for both sites, runs or not
    runs_table = html.css("table#health-runs tbody tr::attr(data-run)").getall()
    assert sorted(int(r) for r in runs_table) == sorted(r.id for r in runs if r.started_at >= start)


def test_health_warns_as_the_run_list_does(console: ConsoleServer) -> None:
    _runs(console.config.database_url)
    html = Selector(text=_page(console))
    database = open_database(console.config.database_url)
    with database.sessions() as session:
        warnings = run_warnings(session.scalars(select(PatrolRun)))
    database.dispose()
    assert len(warnings) == 2  # the blocked taoji run, the shrunken kuaigou run
    items = " ".join(html.css("ul.warnings li").xpath("string()").getall())
    for run_id, why in warnings.items():
        assert f"run #{run_id} " in items and why in items
    assert "50 listings, previous run 200" in items
    marked = html.css("table#health-runs tr.overdue::attr(data-run)").getall()
    assert sorted(int(r) for r in marked) == sorted(warnings)


def test_health_charts_are_accessible_svg(console: ConsoleServer) -> None:
    _runs(console.config.database_url)
    text = _page(console, "?days=14")
    html = Selector(text=text)
    charts = html.xpath("//*[local-name()='svg']")
    assert len(charts) == 6
    for chart in charts:
        labelled = chart.attrib["aria-labelledby"].split()
        assert chart.attrib["role"] == "img"
        assert chart.xpath("./*[local-name()='title']/@id").get() == labelled[0]
        assert chart.xpath("./*[local-name()='desc']/@id").get() == labelled[1]
    bars = html.xpath(
        "//*[local-name()='svg'][1]//*[local-name()='rect']/*[local-name()='title']/text()"
    )
    assert any(
        label.startswith("taoji, ") and label.endswith(": 409 listings") for label in bars.getall()
    )
    assert "style=" not in text and "<script>" not in text


@pytest.mark.parametrize("days", ["0", "91", "abc", "-1", "7;drop"])
def test_bad_days_get_a_clear_400(console: ConsoleServer, days: str) -> None:
    with console.client() as client:
        sign_in(client, "li")
        page = client.get("/health", params={"days": days})
    assert page.status_code == 400 and "days must be a whole number from 1 to 90" in page.text


def test_health_of_real_patrols(patrolled_console: ConsoleServer) -> None:
    html = Selector(text=_page(patrolled_console))
    database = open_database(patrolled_console.config.database_url)
    with database.sessions() as session:
        runs = list(session.scalars(select(PatrolRun)))
    database.dispose()
    assert {run.site for run in runs} == {"kuaigou", "taoji"}
    for run in runs:
        cells = _cells(html.css(f"table#health-runs tr[data-run='{run.id}']")[0])
        assert cells[1] == run.site and cells[5] == run.status
        assert [int(c) for c in cells[6:10]] == [
            run.pages, run.listings, run.stats.get("patrol/flagged", 0),
            run.stats.get("patrol/leads_new", 0),
        ]  # fmt: skip
        assert int(cells[10]) == run.errors


def test_hostile_site_names_are_text_in_tables_and_charts(console: ConsoleServer) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    database = open_database(console.config.database_url)
    with database.sessions.begin() as session:
        start = utcnow() - timedelta(hours=2)
        session.add(PatrolRun(site=hostile[:100], spider="marketplace", started_at=start,
                              finished_at=start + timedelta(minutes=5), status="failed",
                              listings=3))  # fmt: skip
    database.dispose()
    text = _page(console)
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8  # table, runs, warning, charts


def test_chart_geometry() -> None:
    chart = make_chart(
        "k", "Listings", ["11-30", "12-01"], [Series("a", [40, 10]), Series("b", [0, 20])]
    )
    assert [t.text for t in chart.y_ticks] == ["0", "10", "20", "30", "40", "50"]
    (a1, a2), (b1, b2) = (s.marks for s in chart.series)
    assert a1.height == pytest.approx(4 * a2.height) and b1.height == 0
    assert a1.y + a1.height == b1.y + b1.height == chart.plot_bottom  # bars stand on the axis
    assert a1.x < b1.x < a2.x < b2.x  # grouped by day, series side by side
    assert a1.label == "a, 11-30: 40" and chart.series[0].colour != chart.series[1].colour
    with pytest.raises(ValueError, match="has 1 values, not 2"):
        make_chart("k", "t", ["x", "y"], [Series("a", [1])])
