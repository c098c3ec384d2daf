"""Running real patrols from tests: each in its own process, as in production.

The Twisted reactor cannot restart, so every patrol a test runs is ``python -m patrol crawl``
in a subprocess, against fixture marketplaces served by the test process on free ports,
with ``PATROL_HOME`` in a temporary folder (database, evidence, job folders all there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from patrol.config import PROJECT_ROOT
from patrol.db import open_database, upgrade_database

__all__ = ["PatrolHome", "PatrolResult"]


@dataclass
class PatrolResult:
    returncode: int
    summary: dict[str, Any]
    items: list[dict[str, Any]]
    stderr: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def listing_ids(self) -> set[str]:
        return {i["listing_id"] for i in self.items if "title" in i}

    @property
    def gone_ids(self) -> set[str]:
        return {i["listing_id"] for i in self.items if "checked_at" in i}


class PatrolHome:
    """A ``PATROL_HOME`` with a migrated SQLite database, and patrols run against it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "var").mkdir(parents=True, exist_ok=True)
        self.database_url = f"sqlite:///{root / 'var' / 'patrol.db'}"
        upgrade_database(self.database_url)
        self.runs = 0

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
        env.update(PATROL_HOME=str(self.root), PATROL_DATABASE_URL=self.database_url)
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        return env

    def command(
        self, site: str, base_url: str, *extra: str, feed: bool = True
    ) -> tuple[list[str], Path]:
        """The patrol's command line; with ``feed``, its items also go to a JSON Lines
        file (which keeps its listings in the crawl's process: see
        :mod:`pipelines.listing_process`)."""
        self.runs += 1
        path = self.root / f"items-{self.runs}.jsonl"
        feeds = ["-s", "FEEDS=" + json.dumps({path.as_uri(): {"format": "jsonlines"}})]
        argv = [
            sys.executable,
            "-m",
            "patrol",
            "crawl",
            site,
            "--base-url",
            base_url,
            "--json",
            "--log-level",
            "INFO",
            "-s",
            "PATROL_RETRY_BACKOFF_BASE=0.05",
            "-s",
            "PATROL_RETRY_BACKOFF_MAX=0.5",
            *(feeds if feed else []),
            *extra,
        ]
        return argv, path

    def patrol(
        self, site: str, base_url: str, *extra: str, timeout: float = 120, feed: bool = True
    ) -> PatrolResult:
        argv, path = self.command(site, base_url, *extra, feed=feed)
        proc = subprocess.run(
            argv, env=self.env, cwd=self.root, capture_output=True, text=True, timeout=timeout
        )
        return self.result(proc.returncode, proc.stdout, proc.stderr, path)

    def result(self, returncode: int, stdout: str, stderr: str, feed: Path) -> PatrolResult:
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        summary = json.loads(lines[-1]) if lines else {}
        items = []
        if feed.exists():
            for line in feed.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    items.append(json.loads(line))
        return PatrolResult(returncode, summary, items, stderr, summary.get("stats", {}))

    def listing_rows(self, marketplace: str) -> list[Any]:
        from patrol.db.models import ListingRow, Marketplace

        database = open_database(self.database_url)
        try:
            with database.sessions() as session:
                query = (
                    select(ListingRow)
                    .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
                    .where(Marketplace.code == marketplace)
                )
                return list(session.scalars(query))
        finally:
            database.dispose()
