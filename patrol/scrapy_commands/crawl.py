"""``scrapy crawl``, with a marketplace spider's arguments checked before the crawl starts.

Scrapy builds the spider once its event loop runs, so a bad ``-a site=…`` (or base URL)
surfaced as "Task exception was never retrieved" and a traceback, and an unknown spider
name as a ``KeyError`` traceback. This command reads the patrol's arguments first, with the
spider's own :meth:`~spiders.marketplace.MarketplaceSpider.read_patrol_arguments`, and
turns what is wrong into Scrapy's own usage error: one message that names the site or the
profile file and line, or the job folder of another site's patrol, exit status 2, as
``patrol crawl`` gives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from patrol.errors import PatrolError

if TYPE_CHECKING:
    import argparse

__all__ = ["Command"]


class Command(ScrapyCrawl):
    """Scrapy's ``crawl``; for a marketplace spider its arguments are checked first."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1:
            self._check_patrol_arguments(args[0], dict(opts.spargs))
        super().run(args, opts)

    def _check_patrol_arguments(self, spider_name: str, spider_args: dict[str, str]) -> None:
        from spiders.marketplace import MarketplaceSpider

        assert self.crawler_process is not None and self.settings is not None
        try:
            spider_class = self.crawler_process.spider_loader.load(spider_name)
        except KeyError:
            known = ", ".join(sorted(self.crawler_process.spider_loader.list()))
            message = f"no spider {spider_name!r} (spiders: {known})"
            raise UsageError(message, print_help=False) from None
        if not issubclass(spider_class, MarketplaceSpider):
            return
        try:
            spider_class.read_patrol_arguments(self.settings, spider_args)  # a copy: run()
        except PatrolError as exc:
            raise UsageError(exc.message, print_help=False) from None
