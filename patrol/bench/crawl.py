"""`patrol bench crawl`: patrol throughput and browser efficiency, against baselines.

All crawls run against the bundled fixture marketplaces on 127.0.0.1, each in its own
subprocess (``patrol.bench.crawl_worker``), in one run:

1. ``taoji``: the full patrol (spider, all pipelines, database) against a bare spider that
   fetches the same pages and does nothing else — pages/s, listings/s and their ratio
   (target ≥ 0.8).
2. ``kuaigou``: rendered pages/s with the project's browser settings against a naive setup
   (a new context per page, every resource loaded) — ratio target ≥ 2.
3. ``kuaigou`` again for ``--memory-pages`` rendered pages, sampling the RSS of the crawler
   process and of its browser processes: the samples must level off, not keep growing.
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
                browser = sum(_rss(child) for child in watched.children(recursive=True))
            except psutil.Error:
                break
            samples.append((time.monotonic() - started, crawler / 2**20, browser / 2**20))
            time.sleep(1.0)
    out, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise click.ClickException(f"bench crawl ({mode} {site}) failed: " + " | ".join(tail))
    result = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    return _Run(result=result, wall_seconds=time.monotonic() - started, samples=samples)


def _rss(process: Any) -> int:
    try:
        return int(process.memory_info().rss)
    except Exception:  # a renderer that exited between listing and reading
        return 0


def _levels_off(samples: list[tuple[float, float, float]]) -> tuple[float, bool]:
    """Growth of total RSS from the second quarter's peak to the last quarter's (percent)."""
    totals = [crawler + browser for _, crawler, browser in samples]
    if len(totals) < 8:
        return 0.0, True
    quarter = len(totals) // 4
    early, late = max(totals[quarter : 2 * quarter]), max(totals[-quarter:])
    growth = (late - early) / early * 100 if early else 0.0
    return growth, growth < 25.0


@click.command(name="crawl")
@click.option("--listings", default=1500, show_default=True, help="taoji listings generated.")
@click.option(
    "--rendered-listings", default=150, show_default=True, help="kuaigou listings (throughput)."
)
@click.option(
    "--memory-pages",
    default=10_000,
    show_default=True,
    help="kuaigou listings for the memory run (0 skips it).",
)
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_crawl(
    listings: int, rendered_listings: int, memory_pages: int, seed: int, as_json: bool
) -> None:
    """Patrol pages/s vs a bare spider; rendered pages/s vs a naive browser; browser RSS."""
    from patrol.db import upgrade_database
    from patrol.errors import PatrolError
    from patrol.marketplaces import serve_marketplaces

    if min(listings, rendered_listings) < 1 or memory_pages < 0:
        raise PatrolError("listing counts must be positive (--memory-pages may be 0)")
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="patrol-bench-crawl-") as home:
        env = {**os.environ, "PATROL_HOME": home}
        env.pop("PATROL_DATABASE_URL", None)
        os.environ["PATROL_HOME"] = home
        os.environ.pop("PATROL_DATABASE_URL", None)
        (Path(home) / "var").mkdir()
        upgrade_database()

        with serve_marketplaces(sites=("taoji",), seed=seed, listings=listings) as fx:
            url = fx.base_url("taoji")
            bare = _run_worker("bare", "taoji", url, env, sample=False)
            full = _run_worker("full", "taoji", url, env, sample=False)
        report.update(
            pages=full.result["pages"],
            listings=full.result["listings"],
            pages_per_s=round(full.pages_per_s, 1),
            listings_per_s=round(full.listings_per_s, 1),
            baseline_pages_per_s=round(bare.pages_per_s, 1),
            ratio=round(full.pages_per_s / bare.pages_per_s, 2) if bare.pages_per_s else None,
        )

        with serve_marketplaces(sites=("kuaigou",), seed=seed, listings=rendered_listings) as fx:
            url = fx.base_url("kuaigou")
            naive = _run_worker("naive", "kuaigou", url, env, sample=False)
            tuned = _run_worker("rendered", "kuaigou", url, env, sample=False)
        report.update(
            rendered_pages=tuned.result["rendered_pages"],
            rendered_pages_per_s=round(tuned.rendered_per_s, 2),
            naive_rendered_pages_per_s=round(naive.rendered_per_s, 2),
            rendered_ratio=(
                round(tuned.rendered_per_s / naive.rendered_per_s, 2)
                if naive.rendered_per_s
                else None
            ),
        )

        if memory_pages:
            with serve_marketplaces(sites=("kuaigou",), seed=seed, listings=memory_pages) as fx:
                memory = _run_worker("rendered", "kuaigou", fx.base_url("kuaigou"), env, True)
            growth, flat = _levels_off(memory.samples)
            peak = max((c + b for _, c, b in memory.samples), default=0.0)
            report.update(
                memory_rendered_pages=memory.result["rendered_pages"],
                peak_rss_mb=round(peak, 1),
                peak_crawler_rss_mb=round(max((c for _, c, _ in memory.samples), default=0), 1),
                peak_browser_rss_mb=round(max((b for _, _, b in memory.samples), default=0), 1),
                rss_growth_last_quarter_pct=round(growth, 1),
                rss_levels_off=flat,
                rss_samples_mb=[
                    [round(t), round(c), round(b)]
                    for t, c, b in memory.samples[:: max(1, len(memory.samples) // 20)]
                ],
            )
        else:
            report["peak_rss_mb"] = None

    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(
        f"taoji full patrol: {report['pages_per_s']} pages/s, {report['listings_per_s']}"
        f" listings/s ({report['pages']} pages); bare spider: {report['baseline_pages_per_s']}"
        f" pages/s; ratio {report['ratio']} (target >= 0.8)"
    )
    click.echo(
        f"kuaigou rendered: {report['rendered_pages_per_s']} pages/s; naive browser:"
        f" {report['naive_rendered_pages_per_s']} pages/s; ratio {report['rendered_ratio']}"
        " (target >= 2)"
    )
    if memory_pages:
        click.echo(
            f"memory over {report['memory_rendered_pages']} rendered pages: peak"
            f" {report['peak_rss_mb']} MB (crawler {report['peak_crawler_rss_mb']}, browser"
            f" {report['peak_browser_rss_mb']}); last-quarter growth"
            f" {report['rss_growth_last_quarter_pct']}% -> levels off: {report['rss_levels_off']}"
        )
        click.echo("samples [s, crawler MB, browser MB]: " + json.dumps(report["rss_samples_mb"]))
