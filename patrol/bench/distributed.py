"""`patrol bench distributed`: pages/s of one worker and of two on the same patrol.

Both runs patrol the same fixture site (taoji by default), served by ``patrol marketplaces
serve`` in its own process, each run into its own fresh PostgreSQL database and Redis key
prefix, through the same distributed code path (``patrol crawl SITE --workers N``). The
figure is the ratio pages/s(2 workers) / pages/s(1 worker); the fixture server's CPU load
(CPU seconds per wall second, 1.0 = one core busy) is reported beside it, so a server that
was the bottleneck shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

__all__ = ["bench_distributed"]


def _patrol(
    site: str, workers: int, base_url: str, env: dict[str, str], served: Any
) -> dict[str, Any]:
    from patrol.errors import PatrolError

    argv = [sys.executable, "-m", "patrol", "crawl", site, "--base-url", base_url, "--json"]
    argv += ["--workers", str(workers)]
    cpu_before, started = served.cpu_seconds(), time.monotonic()
    patrol_cpu_before = _children_cpu()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    server_cpu = served.cpu_seconds() - cpu_before
    patrol_cpu = _children_cpu() - patrol_cpu_before
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise PatrolError(f"bench distributed: the {workers}-worker patrol failed: {tail}")
    summary = json.loads(lines[-1])
    seconds = float(summary["seconds"]) or wall
    return {
        "pages": summary["pages"],
        "listings": summary["listings"],
        "seconds": round(seconds, 2),
        "pages_per_s": round(summary["pages"] / seconds, 1),
        "worker_pages": summary["stats"].get("patrol/worker_pages"),
        "server_cpu_load": round(server_cpu / seconds, 2),
        "wall_seconds": round(wall, 1),
        # CPU of the patrol's processes (start-up included) per wall second: 2.0 = both
        # cores of this machine busy with the patrol alone
        "patrol_cpu_load": round(patrol_cpu / wall, 2),
        "cpu_ms_per_page": round(patrol_cpu / summary["pages"] * 1000, 2)
        if summary["pages"]
        else None,
    }


def _children_cpu() -> float:
    """CPU seconds used by this process's finished descendants (workers included)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(usage.ru_utime + usage.ru_stime)


@click.command(name="distributed")
@click.option("--site", default="taoji", show_default=True, type=click.Choice(["taoji", "bazaar"]))
@click.option("--listings", default=1500, show_default=True, help="Listings of the site.")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--redis-url",
    default=lambda: os.environ.get("PATROL_REDIS_URL") or "redis://127.0.0.1:6379/0",
    show_default="PATROL_REDIS_URL or redis://127.0.0.1:6379/0",
    help="Redis for the frontier (a fresh key prefix is used and removed).",
)
@click.option(
    "--pg-admin",
    default="host=127.0.0.1 port=5432 dbname=postgres user=postgres",
    show_default=True,
    help="libpq DSN used to create and drop the run's PostgreSQL databases.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_distributed(
    site: str, listings: int, seed: int, redis_url: str, pg_admin: str, as_json: bool
) -> None:
    """Pages/s of 1 and 2 workers on the same patrol (ratio 2/1), and the server's load."""
    from patrol.distributed.services import redis_prefix, served_site, temporary_database
    from patrol.errors import PatrolError

    if listings < 1:
        raise PatrolError("--listings must be at least 1")
    runs: dict[int, dict[str, Any]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="patrol-bench-distributed-") as home,
        served_site(site, listings=listings, seed=seed) as served,
    ):
        (Path(home) / "var").mkdir()
        for workers in (1, 2):
            with temporary_database(pg_admin) as database_url, redis_prefix(redis_url) as prefix:
                env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
                env.update(
                    PATROL_HOME=home,
                    PATROL_DATABASE_URL=database_url,
                    PATROL_REDIS_URL=redis_url,
                    PATROL_REDIS_PREFIX=prefix,
                )
                runs[workers] = _patrol(site, workers, served.base_url, env, served)
    one, two = runs[1], runs[2]
    report = {
        "site": site,
        "listings": listings,
        "pages_per_s_1": one["pages_per_s"],
        "pages_per_s_2": two["pages_per_s"],
        "ratio": round(two["pages_per_s"] / one["pages_per_s"], 2) if one["pages_per_s"] else None,
        "server_cpu_load_1": one["server_cpu_load"],
        "server_cpu_load_2": two["server_cpu_load"],
        "patrol_cpu_load_1": one["patrol_cpu_load"],
        "patrol_cpu_load_2": two["patrol_cpu_load"],
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "one_worker": one,
        "two_workers": two,
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(
        f"{site}, {one['pages']} pages: 1 worker {one['pages_per_s']} pages/s"
        f" ({one['seconds']}s), 2 workers {two['pages_per_s']} pages/s ({two['seconds']}s,"
        f" pages per worker {two['worker_pages']}); ratio {report['ratio']} (2 cores: up to 2)"
    )
    click.echo(
        f"fixture server CPU load (cores busy): {one['server_cpu_load']} with 1 worker,"
        f" {two['server_cpu_load']} with 2; load average {report['load_average_1m']}"
        f" on {report['cpu_count']} cores"
    )
    click.echo(
        f"patrol processes: {one['patrol_cpu_load']} cores busy, {one['cpu_ms_per_page']} CPU ms"
        f" per page with 1 worker; {two['patrol_cpu_load']} cores, {two['cpu_ms_per_page']} ms"
        " with 2 (start-up included): if 2 workers get no more cores than 1, the machine, not"
        " the frontier, is the limit"
    )
