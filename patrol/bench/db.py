"""`patrol bench db`: listings/s stored by the store pipeline, SQLite and PostgreSQL.

Each database gets ``--listings`` fresh listings (1 in 10 flagged, with a verdict and a
lead) pushed through :class:`pipelines.store.StorePipeline` exactly as a patrol does
(batches by size, a final flush on close). The baseline, measured in the same run on a
fresh database of the same kind, is the naive way to do the same job: per listing, look it
up by its key, ORM-``add`` the rows the pipeline writes (listing, snapshot, and for a flagged
one its lead and event) and ``commit`` — on a smaller sample (``--baseline-listings``),
reported per listing. Building the
listings is not timed. PostgreSQL runs in a throwaway database on ``--postgres`` (skipped
with ``--no-postgres``). The same listings are then patrolled once more (all unchanged: the
steady state of a daily patrol) and reported as ``repatrol_listings_per_s``.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from patrol.errors import PatrolError

__all__ = ["bench_db"]

_T = TypeVar("_T")
DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _listings(count: int, prefix: str) -> list[Any]:
    from patrol.items import Listing
    from patrol.screening.verdict import Hit, RegistryRef, Verdict

    hit = Hit(
        rule_id="brand.nike",
        weight=0.9,
        field="title",
        text="NIKE",
        normalised="nike",
        variant_path="exact: nike",
        span=(0, 4),
        brand_id="nike",
        registry=RegistryRef(kind="trademark", number="2824281", office="US"),
    )
    flagged = Verdict(score=1.2, flagged=True, threshold=1.0, hits=(hit,))
    clear = Verdict(score=0.0, flagged=False, threshold=1.0)
    now = datetime.now(UTC)
    return [
        Listing(
            marketplace="benchmall",
            listing_id=f"{prefix}{n}",
            url=f"http://127.0.0.1/benchmall/item/{prefix}{n}",
            title=f"{'NIKE Air 高仿 ' if n % 10 == 0 else ''}Running shoe model {n}",
            price=Decimal(f"{100 + n % 900}.90"),
            currency="CNY",
            category="Shoes",
            description=f"Lightweight running shoe, size 36-45, batch {n // 1000}",
            shop_id=f"shop-{n % 500}",
            shop_name=f"Shop {n % 500}",
            image_urls=[f"http://127.0.0.1/img/{prefix}{n}-1.jpg"],
            fetched_at=now,
            body_sha256=f"{n:064x}",
            verdict=flagged if n % 10 == 0 else clear,
        )
        for n in range(count)
    ]


def _patrol_rate(url: str, items: list[Any], stat: str) -> float:
    """Listings/s of one patrol's worth of ``items`` through the store pipeline."""
    from scrapy.utils.test import get_crawler

    from pipelines.store import StorePipeline

    crawler = get_crawler(settings_dict={"PATROL_DATABASE_URL": url})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    started = time.perf_counter()
    for item in items:
        pipeline.process_item(item)
    pipeline.close_spider()
    elapsed = time.perf_counter() - started
    pipeline.store.db.dispose()
    stored = crawler.stats.get_value(stat, 0) if crawler.stats else 0
    if stored != len(items):
        raise PatrolError(f"benchmark: {stat} is {stored}, expected {len(items)}")
    return len(items) / elapsed


def _pipeline_rates(url: str, count: int) -> tuple[float, float]:
    """(first patrol: all new, the next patrol: all unchanged) listings/s."""
    items = _listings(count, "p")
    first = _patrol_rate(url, items, "patrol/listings_new")
    return first, _patrol_rate(url, items, "patrol/listings_unchanged")


def _baseline_rate(url: str, count: int) -> float:
    """The naive store: per listing, look it up, ORM-add what the pipeline writes, commit."""
    from sqlalchemy import select

    from patrol.db import open_database
    from patrol.db.models import Lead, LeadEvent, ListingRow, ListingSnapshot, Marketplace

    items = _listings(count, "b")
    database = open_database(url)
    with database.sessions() as session:
        marketplace = Marketplace(code="benchmall")
        session.add(marketplace)
        session.commit()
        started = time.perf_counter()
        for item in items:
            listing = session.scalars(
                select(ListingRow).where(
                    ListingRow.marketplace_id == marketplace.id,
                    ListingRow.listing_id == item.listing_id,
                )
            ).one_or_none()
            if listing is None:
                listing = ListingRow(
                    marketplace_id=marketplace.id,
                    listing_id=item.listing_id,
                    url=item.url,
                    title=item.title,
                    price=item.price,
                    currency=item.currency,
                    category=item.category,
                    description=item.description,
                    image_urls=item.image_urls,
                    body_sha256=item.body_sha256,
                    content_hash=item.body_sha256,
                    score=item.verdict.score,
                    flagged=item.verdict.flagged,
                )
                session.add(listing)
                session.flush()
            session.add(
                ListingSnapshot(
                    listing_pk=listing.id,
                    content_hash=item.body_sha256,
                    data={"title": item.title, "description": item.description},
                    score=item.verdict.score,
                    flagged=item.verdict.flagged,
                )
            )
            if item.verdict.flagged:
                lead = Lead(
                    listing_pk=listing.id,
                    marketplace_id=listing.marketplace_id,
                    score=item.verdict.score,
                    reasons=[hit.to_dict() for hit in item.verdict.hits],
                )
                session.add(lead)
                session.flush()
                session.add(LeadEvent(lead_id=lead.id, actor="bench", action="flagged"))
            session.commit()
        elapsed = time.perf_counter() - started
    database.dispose()
    return count / elapsed


def _fresh_sqlite(directory: Path, name: str) -> str:
    from patrol.db import upgrade_database

    url = f"sqlite:///{directory / name}"
    upgrade_database(url)
    return url


def _with_postgres(admin_url: str, run: Callable[[str], _T]) -> _T:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from patrol.db import upgrade_database

    name = f"patrol_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise PatrolError(f"cannot create a benchmark database on {admin_url}: {exc}") from None
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        return run(url)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@click.command(name="db")
@click.option("--listings", type=click.IntRange(100), default=100_000, show_default=True)
@click.option("--baseline-listings", type=click.IntRange(10), default=2_000, show_default=True)
@click.option(
    "--postgres",
    "pg_admin",
    default=DEFAULT_PG_ADMIN,
    show_default=True,
    help="A PostgreSQL URL whose server may get a throwaway benchmark database.",
)
@click.option("--no-postgres", is_flag=True, help="Benchmark SQLite only.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_db(
    listings: int, baseline_listings: int, pg_admin: str, no_postgres: bool, as_json: bool
) -> None:
    """Listings/s stored by the store pipeline vs an ORM add+commit per listing."""
    result: dict[str, Any] = {"listings": listings, "baseline_listings": baseline_listings}
    with tempfile.TemporaryDirectory(prefix="patrol-bench-db-") as tmp:
        directory = Path(tmp)
        rate, again = _pipeline_rates(_fresh_sqlite(directory, "pipeline.db"), listings)
        baseline = _baseline_rate(_fresh_sqlite(directory, "baseline.db"), baseline_listings)
    result.update(
        listings_per_s=round(rate, 1),
        baseline_listings_per_s=round(baseline, 1),
        ratio=round(rate / baseline, 2),
        repatrol_listings_per_s=round(again, 1),
    )
    if not no_postgres:
        pg_rate, pg_again = _with_postgres(pg_admin, lambda url: _pipeline_rates(url, listings))
        pg_baseline = _with_postgres(pg_admin, lambda url: _baseline_rate(url, baseline_listings))
        result.update(
            postgresql_listings_per_s=round(pg_rate, 1),
            postgresql_baseline_listings_per_s=round(pg_baseline, 1),
            postgresql_ratio=round(pg_rate / pg_baseline, 2),
            postgresql_repatrol_listings_per_s=round(pg_again, 1),
        )
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"store pipeline, {listings:,} listings (1 in 10 flagged → lead)")
    click.echo(
        f"  SQLite:      {result['listings_per_s']:>10,.0f} listings/s   baseline "
        f"{result['baseline_listings_per_s']:>8,.0f}/s   ratio {result['ratio']}×"
    )
    if not no_postgres:
        click.echo(
            f"  PostgreSQL:  {result['postgresql_listings_per_s']:>10,.0f} listings/s   baseline "
            f"{result['postgresql_baseline_listings_per_s']:>8,.0f}/s   "
            f"ratio {result['postgresql_ratio']}×"
        )
    line = f"  next patrol (all unchanged): SQLite {result['repatrol_listings_per_s']:,.0f}/s"
    if not no_postgres:
        line += f", PostgreSQL {result['postgresql_repatrol_listings_per_s']:,.0f}/s"
    click.echo(line)
    click.echo(
        f"  baseline: look up + ORM add + commit per listing, {baseline_listings:,} listings"
    )
