"""The three fixture sites: their URL schemes and HTML, over one shared population.

Each site module exposes ``ROBOTS`` (its robots.txt), ``routes()``, ``error_response(state,
status)`` and ``block_response(state, request)``; the server adds faults and counting
around them, and notes every request its robots.txt disallows.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import ClassVar

from aiohttp import web
from protego import Protego

from patrol.marketplaces.clock import SimClock
from patrol.marketplaces.faults import FaultPlan
from patrol.marketplaces.population import World

__all__ = ["SiteState", "site_module"]


@dataclass(eq=False)
class SiteState:
    """What a site's handlers share: its population, the clock and its faults."""

    KEY: ClassVar[web.AppKey[SiteState]]

    site: str
    world: World
    clock: SimClock
    plan: FaultPlan
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    disallowed: list[str] = field(default_factory=list)  # fetched although robots.txt says no

    @cached_property
    def robots(self) -> Protego:
        """The site's own robots.txt, to referee the crawlers it serves."""
        return Protego.parse(site_module(self.site).ROBOTS)

    @property
    def hour(self) -> float:
        return self.clock.hour


SiteState.KEY = web.AppKey("fixture_site_state", SiteState)


def site_module(site: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{site}")
