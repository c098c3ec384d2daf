"""`patrol bench …`: benchmarks that print a ratio against a baseline run alongside.

Each benchmark lives in ``patrol/bench/<name>.py`` and exposes one Click command.
"""

from __future__ import annotations

import click

from patrol.bench import crawl, db, distributed, screen, serve, soak, web


@click.group(name="bench")
def group() -> None:
    """Benchmarks: each prints absolute figures and a ratio against a baseline."""


group.add_command(serve.bench_serve)
group.add_command(screen.bench_screen)
group.add_command(db.bench_db)
group.add_command(crawl.bench_crawl)
group.add_command(distributed.bench_distributed)
group.add_command(soak.bench_soak)
group.add_command(web.bench_web)
