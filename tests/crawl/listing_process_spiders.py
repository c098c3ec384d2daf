"""Spiders for the listing-process tests (importable by name, as the child needs)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from patrol.items import Listing, ListingGone
from spiders.marketplace import MarketplaceSpider


class KillsListingProcessSpider(MarketplaceSpider):
    """The patrol's spider, which kills its listing process after ``kill_after`` pages."""

    name = "test-kills-listing-process"

    def __init__(self, *args: Any, kill_after: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kill_after = int(kill_after)
        self.handed_over = 0

    def parse_listing(self, response: Response) -> Iterator[Listing | ListingGone]:
        child = self.listing_process
        yield from super().parse_listing(response)
        if child is None or self.kill_after <= 0:
            return
        self.handed_over += 1
        if self.handed_over == self.kill_after:
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[attr-defined]
