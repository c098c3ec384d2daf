"""`patrol bench crawl`: patrol throughput and browser efficiency, against baselines.

All crawls run against the bundled fixture marketplaces on 127.0.0.1, each in its own
subprocess (``patrol.bench.crawl_worker``), in one run:

1. ``taoji``: the full patrol (spider, all pipelines, database) against a bare spider that
   fetches the same pages and does nothing else — pages/s, listings/s and their ratio
   (target ≥ 0.8). Both crawls are bound by the CPU of the crawl's one thread, so the CPU
   that thread took per page is reported beside them: it is what the patrol's own work
   costs, and it varies far less from run to run than pages/s on a shared machine.
2. ``kuaigou``: rendered pages/s with the project's browser settings against a naive setup
   (a new context per page, every resource loaded) — ratio target ≥ 2.
3. ``kuaigou`` again for ``--memory-pages`` rendered pages, sampling the RSS of the crawler
   (its process and its screening process) and of its browser processes every second: the
   peak of each quarter of the run (at 25/50/75/100 %) must level off, the last quarter
   adding under 10 % to the third's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

__all__ = ["bench_crawl"]


@dataclass
class _Run:
    result: dict[str, Any]
    wall_seconds: float
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # t, crawler, browser

    @property
    def pages_per_s(self) -> float:
        return self.result["pages"] / self.result["seconds"] if self.result["seconds"] else 0.0

    @property
    def listings_per_s(self) -> float:
        return self.result["listings"] / self.result["seconds"] if self.result["seconds"] else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        """CPU of the crawl's thread per page fetched (ms): what the crawl is bound by."""
        pages = self.result["pages"]
        return self.result.get("crawl_thread_cpu_s", 0.0) * 1000 / pages if pages else 0.0

    @property
    def helper_cpu_ms_per_page(self) -> float:
        """CPU of the crawl's helper processes per page fetched (ms): the second core's."""
        pages = self.result["pages"]
        return self.result.get("helper_cpu_s", 0.0) * 1000 / pages if pages else 0.0

    @property
    def rendered_per_s(self) -> float:
        seconds = self.result["seconds"]
        return self.result["rendered_pages"] / seconds if seconds else 0.0


def _run_worker(mode: str, site: str, base_url: str, env: dict[str, str], sample: bool) -> _Run:
    import psutil

    command = [sys.executable, "-m", "patrol.bench.crawl_worker", mode, site, base_url]
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    samples: list[tuple[float, float, float]] = []
    if sample:
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                crawler = watched.memory_info().rss
                children = watched.children(recursive=True)
            except psutil.Error:
                break
            helpers = [child for child in children if _is_helper(child)]
            crawler += sum(_rss(child) for child in helpers)  # the crawl's own processes
            browser = sum(_rss(child) for child in children if child not in helpers)
            samples.append((time.monotonic() - started, crawler / 2**20, browser / 2**20))
            time.sleep(1.0)
    out, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise click.ClickException(f"bench crawl ({mode} {site}) failed: " + " | ".join(tail))
    result = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    return _Run(result=result, wall_seconds=time.monotonic() - started, samples=samples)


def _is_helper(process: Any) -> bool:
    """Whether a child of the crawler is one of its own helpers (screening or listing
    process), not a browser's."""
    modules = ("patrol.screening.process", "patrol.crawl.listing_child")
    try:
        return any(module in part for part in process.cmdline() for module in modules)
    except Exception:  # gone meanwhile
        return False


def _rss(process: Any) -> int:
    try:
        return int(process.memory_info().rss)
    except Exception:  # a renderer that exited between listing and reading
        return 0


_FLAT_GROWTH_PCT = 10.0  # most a last quarter may add to the third's peak and be "flat"


@dataclass(frozen=True)
class _Quarter:
    """The peak RSS (MB) of one quarter of a sampled run, ending ``seconds`` into it."""

    seconds: float
    crawler: float
    browser: float

    @property
    def total(self) -> float:
        return self.crawler + self.browser


def _quarters(samples: list[tuple[float, float, float]]) -> list[_Quarter]:
    """Peaks of each quarter of the run (at 25/50/75/100 %); none for a too short run.

    Peaks, not the sample at each mark: the browser's RSS rises and falls as renderers come
    and go with their pages, and a leak shows as peaks that keep climbing.
    """
    if len(samples) < 8:
        return []
    size = len(samples) // 4
    parts = [samples[i * size : (i + 1) * size] for i in range(3)] + [samples[3 * size :]]
    return [
        _Quarter(
            seconds=part[-1][0],
            crawler=max(c for _, c, _ in part),
            browser=max(b for _, _, b in part),
        )
        for part in parts
    ]


def _growth(before: float, after: float) -> float:
    return (after - before) / before * 100 if before else 0.0


def _levels_off(quarters: list[_Quarter]) -> tuple[float, bool]:
    """Growth (%) of the total peak over the last quarter; under 10 % levels off.

    A leak that doubled memory over the run would add about 14 % in its last quarter.
    """
    if len(quarters) < 4:
        return 0.0, True
    growth = _growth(quarters[2].total, quarters[3].total)
    return growth, growth < _FLAT_GROWTH_PCT


def _best(runs: list[_Run], rate: str) -> _Run:
    """The fastest of repeated runs: other work on the machine only ever slows a run down."""
    return max(runs, key=lambda run: getattr(run, rate))


def _throughput(seed: int, listings: int, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    from patrol.marketplaces import serve_marketplaces

    bare_runs, full_runs = [], []
    with serve_marketplaces(sites=("taoji",), seed=seed, listings=listings) as fx:
        url = fx.base_url("taoji")
        for _ in range(repeat):  # interleaved, so both see the same machine
            bare_runs.append(_run_worker("bare", "taoji", url, env, sample=False))
            full_runs.append(_run_worker("full", "taoji", url, env, sample=False))
    bare, full = _best(bare_runs, "pages_per_s"), _best(full_runs, "pages_per_s")
    # the least CPU a run took per page: another process can only ever add to it
    bare_cpu = min(run.cpu_ms_per_page for run in bare_runs)
    full_cpu = min(run.cpu_ms_per_page for run in full_runs)
    return {
        "pages": full.result["pages"],
        "listings": full.result["listings"],
        "pages_per_s": round(full.pages_per_s, 1),
        "listings_per_s": round(full.listings_per_s, 1),
        "baseline_pages_per_s": round(bare.pages_per_s, 1),
        "ratio": round(full.pages_per_s / bare.pages_per_s, 2) if bare.pages_per_s else None,
        "crawl_cpu_ms_per_page": round(full_cpu, 3),
        "baseline_crawl_cpu_ms_per_page": round(bare_cpu, 3),
        "cpu_ratio": round(bare_cpu / full_cpu, 2) if full_cpu else None,
        "helper_cpu_ms_per_page": round(min(run.helper_cpu_ms_per_page for run in full_runs), 3),
    }


def _rendering(seed: int, listings: int, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    from patrol.marketplaces import serve_marketplaces

    naive_runs, tuned_runs = [], []
    with serve_marketplaces(sites=("kuaigou",), seed=seed, listings=listings) as fx:
        url = fx.base_url("kuaigou")
        for _ in range(repeat):
            naive_runs.append(_run_worker("naive", "kuaigou", url, env, sample=False))
            tuned_runs.append(_run_worker("rendered", "kuaigou", url, env, sample=False))
    naive, tuned = _best(naive_runs, "rendered_per_s"), _best(tuned_runs, "rendered_per_s")
    return {
        "rendered_pages": tuned.result["rendered_pages"],
        "rendered_pages_per_s": round(tuned.rendered_per_s, 2),
        "naive_rendered_pages_per_s": round(naive.rendered_per_s, 2),
        "rendered_ratio": (
            round(tuned.rendered_per_s / naive.rendered_per_s, 2) if naive.rendered_per_s else None
        ),
    }


def _memory(seed: int, pages: int, env: dict[str, str]) -> dict[str, Any]:
    """A full kuaigou patrol of about ``pages`` rendered pages, RSS sampled every second."""
    from patrol.marketplaces import ground_truth, serve_marketplaces

    live_share = sum(1 for _ in ground_truth("kuaigou", seed, 1000, hour=12.0)) / 1000
    listings = max(1, round(pages / max(live_share, 0.01)))
    with serve_marketplaces(sites=("kuaigou",), seed=seed, listings=listings) as fx:
        run = _run_worker("full", "kuaigou", fx.base_url("kuaigou"), env, sample=True)
    quarters = _quarters(run.samples)
    growth, flat = _levels_off(quarters)
    third, last = (quarters[2], quarters[3]) if quarters else (None, None)
    step = max(1, len(run.samples) // 20)
    return {
        "memory_rendered_pages": run.result["rendered_pages"],
        "memory_rendered_pages_per_s": round(run.rendered_per_s, 2),
        "peak_rss_mb": round(max((c + b for _, c, b in run.samples), default=0.0), 1),
        "peak_crawler_rss_mb": round(max((c for _, c, _ in run.samples), default=0.0), 1),
        "peak_browser_rss_mb": round(max((b for _, _, b in run.samples), default=0.0), 1),
        "rss_by_quarter_mb": [
            {
                "at_pct": 25 * (number + 1),
                "seconds": round(quarter.seconds),
                "crawler": round(quarter.crawler, 1),
                "browser": round(quarter.browser, 1),
                "total": round(quarter.total, 1),
            }
            for number, quarter in enumerate(quarters)
        ],
        "rss_growth_last_quarter_pct": round(growth, 1),
        "crawler_rss_growth_last_quarter_pct": (
            round(_growth(third.crawler, last.crawler), 1) if third and last else None
        ),
        "browser_rss_growth_last_quarter_pct": (
            round(_growth(third.browser, last.browser), 1) if third and last else None
        ),
        "rss_levels_off": flat,
        "rss_samples_mb": [[round(t), round(c), round(b)] for t, c, b in run.samples[::step]],
    }


@click.command(name="crawl")
@click.option(
    "--listings", default=1500, show_default=True, help="taoji listings (0 skips that part)."
)
@click.option(
    "--rendered-listings",
    default=100,
    show_default=True,
    help="kuaigou listings for the browser comparison (0 skips it).",
)
@click.option(
    "--memory-pages",
    default=10_000,
    show_default=True,
    help="rendered pages for the memory run (0 skips it).",
)
@click.option("--repeat", default=2, show_default=True, help="runs of each crawl; best kept.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_crawl(
    listings: int,
    rendered_listings: int,
    memory_pages: int,
    repeat: int,
    seed: int,
    as_json: bool,
) -> None:
    """Patrol pages/s vs a bare spider; rendered pages/s vs a naive browser; browser RSS."""
    from patrol.db import upgrade_database
    from patrol.errors import PatrolError

    if min(listings, rendered_listings, memory_pages) < 0 or repeat < 1:
        raise PatrolError("counts must be >= 0 (0 skips a part) and --repeat >= 1")
    report: dict[str, Any] = dict.fromkeys(
        ("pages_per_s", "baseline_pages_per_s", "ratio", "listings_per_s"), None
    )
    report.update(rendered_pages_per_s=None, rendered_ratio=None, peak_rss_mb=None)
    with tempfile.TemporaryDirectory(prefix="patrol-bench-crawl-") as home:
        env = {k: v for k, v in os.environ.items() if k != "PATROL_DATABASE_URL"}
        env["PATROL_HOME"] = home
        (Path(home) / "var").mkdir()
        upgrade_database(f"sqlite:///{Path(home) / 'var' / 'patrol.db'}")
        if listings:
            report.update(_throughput(seed, listings, repeat, env))
        if rendered_listings:
            report.update(_rendering(seed, rendered_listings, repeat, env))
        if memory_pages:
            report.update(_memory(seed, memory_pages, env))

    if as_json:
        click.echo(json.dumps(report))
        return
    if listings:
        click.echo(
            f"taoji full patrol: {report['pages_per_s']} pages/s, {report['listings_per_s']}"
            f" listings/s ({report['pages']} pages); bare spider:"
            f" {report['baseline_pages_per_s']} pages/s; ratio {report['ratio']} (target >= 0.8)"
        )
        click.echo(
            f"  crawl thread CPU per page: {report['crawl_cpu_ms_per_page']} ms; bare spider:"
            f" {report['baseline_crawl_cpu_ms_per_page']} ms; ratio {report['cpu_ratio']}"
        )
        click.echo(
            f"  helper processes' CPU per page (listing process: the second core):"
            f" {report['helper_cpu_ms_per_page']} ms"
        )
    if rendered_listings:
        click.echo(
            f"kuaigou rendered: {report['rendered_pages_per_s']} pages/s; naive browser:"
            f" {report['naive_rendered_pages_per_s']} pages/s; ratio {report['rendered_ratio']}"
            " (target >= 2)"
        )
    if memory_pages:
        click.echo(
            f"memory over {report['memory_rendered_pages']} rendered pages"
            f" ({report['memory_rendered_pages_per_s']} pages/s): peak"
            f" {report['peak_rss_mb']} MB (crawler {report['peak_crawler_rss_mb']}, browser"
            f" {report['peak_browser_rss_mb']})"
        )
        for quarter in report["rss_by_quarter_mb"]:
            click.echo(
                f"  peak in the quarter to {quarter['at_pct']}% ({quarter['seconds']} s):"
                f" crawler {quarter['crawler']} MB, browser {quarter['browser']} MB,"
                f" total {quarter['total']} MB"
            )
        click.echo(
            f"growth over the last quarter: {report['rss_growth_last_quarter_pct']}% (crawler"
            f" {report['crawler_rss_growth_last_quarter_pct']}%, browser"
            f" {report['browser_rss_growth_last_quarter_pct']}%) -> levels off:"
            f" {report['rss_levels_off']} (under {_FLAT_GROWTH_PCT:g}%)"
        )
        click.echo("samples [s, crawler MB, browser MB]: " + json.dumps(report["rss_samples_mb"]))
