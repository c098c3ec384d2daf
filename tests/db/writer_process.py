"""One patrol-like writer process for the concurrency test (run with ``python -m``).

It drives the real store pipeline (small batches, so the two processes' transactions
interleave) and, in between, moves the seeded leads it owns through ``triaged``.

usage: python -m tests.db.writer_process URL RANGES PARITY START_AT

RANGES is e.g. ``200-400,0-200``: listing numbers in the order they are written.
"""

from __future__ import annotations

import sys
import time

from scrapy.utils.test import get_crawler
from sqlalchemy import select

from patrol.db import open_database
from patrol.db.models import Lead, ListingRow
from patrol.leads import workflow
from pipelines.store import StorePipeline
from tests.db.fixtures import make_listing


def main(url: str, ranges: str, parity: int, start_at: float) -> None:
    numbers = [number for part in ranges.split(",") for number in range(*map(int, part.split("-")))]
    crawler = get_crawler(settings_dict={"PATROL_DATABASE_URL": url, "PATROL_STORE_BATCH_SIZE": 20})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    database = open_database(url)
    with database.sessions() as session:
        seeded = list(
            session.scalars(
                select(Lead.id)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .where(ListingRow.listing_id.like("seed-%"), Lead.id % 2 == parity)
            )
        )
    time.sleep(max(0.0, start_at - time.time()))
    for number in numbers:
        score = 0.9 if number % 3 == 0 else 0.1
        pipeline.process_item(make_listing(f"L{number}", score=score, shop_id=f"s{number % 7}"))
        if number % 10 == 0 and seeded:
            with database.sessions.begin() as session:
                lead = workflow.get_lead(session, seeded.pop())
                workflow.transition(session, lead, "triaged", actor=f"writer-{parity}")
    while seeded:
        with database.sessions.begin() as session:
            lead = workflow.get_lead(session, seeded.pop())
            workflow.transition(session, lead, "triaged", actor=f"writer-{parity}")
    pipeline.close_spider()
    database.dispose()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(stats.get("patrol/listings_new", 0), stats.get("patrol/leads_new", 0))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
