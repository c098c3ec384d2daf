"""Running distributed patrols from tests: real worker processes, Redis and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select

from patrol.config import PROJECT_ROOT
from patrol.db import open_database, upgrade_database

PG_ADMIN = "host=127.0.0.1 port=5432 dbname=test user=postgres"

# fast retries, and a short heartbeat so that a killed worker is noticed in seconds
FAST = (
    "-s", "PATROL_RETRY_BACKOFF_BASE=0.05",
    "-s", "PATROL_RETRY_BACKOFF_MAX=0.5",
)  # fmt: skip


def create_pg_database() -> str:
    name = f"patrol_dist_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    upgrade_database(url)
    return url


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Cluster:
    """A patrol home, a database and a Redis key prefix that worker processes share."""

    home: Path
    database_url: str
    redis_url: str
    prefix: str

    def env(self, *, distributed: bool = True, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
        env.update(
            PATROL_HOME=str(self.home),
            PATROL_DATABASE_URL=self.database_url,
            PYTHONPATH=str(PROJECT_ROOT),
        )
        if distributed:
            env.update(PATROL_REDIS_URL=self.redis_url, PATROL_REDIS_PREFIX=self.prefix)
        env.update(extra)
        return env

    def run(
        self, *args: str, distributed: bool = True, timeout: float = 240, **env: str
    ) -> tuple[int, dict[str, Any], str]:
        """``python -m patrol ARGS --json``: exit status, the JSON summary, stderr."""
        proc = subprocess.run(
            [sys.executable, "-m", "patrol", *args, "--json", *FAST],
            env=self.env(distributed=distributed, **env),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "patrol", *args, "--json", *FAST],
            env=self.env(**env),
            cwd=self.home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def database_contents(url: str) -> dict[str, Any]:
    """Listings and leads by natural key, with what a patrol decides about them."""
    from patrol.db.models import Lead, ListingRow, Marketplace, PatrolRun

    database = open_database(url)
    try:
        with database.sessions() as session:
            listings = {
                (code, row.listing_id): (
                    row.title,
                    str(row.price),
                    row.currency,
                    row.content_hash,
                    row.flagged,
                    row.score,
                    row.status,
                )
                for row, code in session.execute(
                    select(ListingRow, Marketplace.code).join(
                        Marketplace, Marketplace.id == ListingRow.marketplace_id
                    )
                )
            }
            leads: dict[tuple[str, str], list[Any]] = {}
            for lead, code, listing_id in session.execute(
                select(Lead, Marketplace.code, ListingRow.listing_id)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
            ):
                rules = sorted(str(hit.get("rule_id")) for hit in lead.reasons or [])
                leads.setdefault((code, listing_id), []).append((lead.status, lead.score, rules))
            runs = [
                (run.site, run.status, run.pages, run.listings, dict(run.stats or {}))
                for run in session.scalars(select(PatrolRun).order_by(PatrolRun.id))
            ]
    finally:
        database.dispose()
    return {"listings": listings, "leads": leads, "runs": runs}
