"""Two workers patrol taoji and bazaar together: the same result as one worker.

One patrol per site runs in one process without Redis into one database; the same patrols
run with ``--workers 2`` (scrapy-redis frontier in Redis) into another. Then taoji is
patrolled again later in the simulated day, when some listings are gone: only the union of
what both workers saw may keep a listing alive. Listing for listing (status included) and
lead for lead, the databases must agree, each URL must be fetched once per patrol, and each
distributed patrol must be one ``patrol_runs`` row carrying both workers' pages.
"""

from __future__ import annotations

import pytest

from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.distributed.patrols import (
    Cluster,
    create_pg_database,
    database_contents,
    drop_pg_database,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

SEED = 11
LISTINGS = 120
HOUR = 12.0
LATER = 23.0


def test_two_workers_equal_one(cluster: Cluster) -> None:
    single_url = create_pg_database()
    try:
        single = Cluster(cluster.home / "single", single_url, cluster.redis_url, cluster.prefix)
        single.home.mkdir()
        # some answers slowed down (deterministically), so that a patrol lasts long enough
        # for the second worker to take part
        with serve_marketplaces(
            sites=("taoji", "bazaar"), seed=SEED, listings=LISTINGS, hour=HOUR, faults="slow"
        ) as fx:
            for site, hour in (("taoji", HOUR), ("bazaar", HOUR), ("taoji", LATER)):
                fx.clock.set_hour(hour)
                base = fx.base_url(site)
                code, one, err = single.run("crawl", site, "--base-url", base, distributed=False)
                assert code == 0, err[-2000:]
                code, two, err = cluster.run("crawl", site, "--base-url", base, "--workers", "2")
                assert code == 0, err[-2000:]
                assert two["status"] == "finished"
                # each URL once per patrol: the same listing pages, whoever fetched them
                assert two["stats"]["patrol/listing_pages"] == one["stats"]["patrol/listing_pages"]
                assert two["listings"] == one["listings"] > 0
                worker_pages = [int(n) for n in two["stats"]["patrol/worker_pages"].split(",")]
                assert len(worker_pages) == 2 and all(n > 0 for n in worker_pages), worker_pages
        expected = database_contents(single_url)
        got = database_contents(cluster.database_url)
    finally:
        drop_pg_database(single_url)

    assert got["listings"] == expected["listings"]
    assert got["leads"] == expected["leads"]
    live = {row["id"] for row in ground_truth("bazaar", SEED, LISTINGS, hour=HOUR)}
    assert {key[1] for key in got["listings"] if key[0] == "bazaar"} == live
    morning = {row["id"] for row in ground_truth("taoji", SEED, LISTINGS, hour=HOUR)}
    night = {row["id"] for row in ground_truth("taoji", SEED, LISTINGS, hour=LATER)}
    taoji = {key[1]: row[-1] for key, row in got["listings"].items() if key[0] == "taoji"}
    assert set(taoji) == morning | night
    assert {lid for lid, status in taoji.items() if status == "gone"} == morning - night != set()
    assert all(len(leads) == 1 for leads in got["leads"].values())

    # one run row per distributed patrol, completed by its finaliser with both workers' totals
    assert [(site, status) for site, status, *_ in got["runs"]] == [
        ("taoji", "finished"),
        ("bazaar", "finished"),
        ("taoji", "finished"),
    ]
    for (_, _, pages, listings, stats), (_, _, one_pages, one_listings, _) in zip(
        got["runs"], expected["runs"], strict=True
    ):
        assert stats["patrol/workers"] == 2
        assert listings == one_listings
        assert pages >= one_pages  # each worker also reads robots.txt
