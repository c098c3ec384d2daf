"""Spiders for the listing-process tests (importable by name, as the child needs)."""

from __future__ import annotations

import json
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

    def __init__(self, *args: Any, kill_after: int = 0, die_after: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kill_after = int(kill_after)  # the listing process, after so many pages
        self.die_after = int(die_after)  # the patrol itself (SIGKILL), after so many
        self.handed_over = 0

    def parse_listing(self, response: Response) -> Iterator[Listing | ListingGone]:
        child = self.listing_process
        yield from super().parse_listing(response)
        if child is None:
            return
        self.handed_over += 1
        if self.handed_over == self.kill_after:
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        if self.handed_over == self.die_after:
            child._send_collected()  # type: ignore[attr-defined]  # what it has, on its way
            print(json.dumps({"listing_process": child.pid}), flush=True)  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGKILL)
