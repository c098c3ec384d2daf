"""The fixture marketplaces: three small marketplaces Listing Patrol ships and serves.

``taoji`` (server-rendered, GBK), ``kuaigou`` (a JavaScript single-page app over a JSON
API) and ``bazaar`` (English, fixed-price and auction listings), with a deterministic,
lazily generated population of genuine, innocent and counterfeit listings, a ground truth,
a simulated 24-hour clock and switchable faults. See ``README.md`` beside this file.

The public names are imported lazily so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patrol.marketplaces.clock import SimClock
    from patrol.marketplaces.faults import FaultConfig
    from patrol.marketplaces.population import (
        SITES,
        FixtureListing,
        fixture_listings,
        ground_truth,
    )
    from patrol.marketplaces.registry import fixture_registry, write_registry_csv
    from patrol.marketplaces.server import FixtureServers, serve_marketplaces

__all__ = [
    "DEFAULT_PORTS",
    "SITES",
    "FaultConfig",
    "FixtureListing",
    "FixtureServers",
    "SimClock",
    "fixture_listings",
    "fixture_registry",
    "ground_truth",
    "serve_marketplaces",
    "write_registry_csv",
]

DEFAULT_PORTS = {"taoji": 8401, "kuaigou": 8402, "bazaar": 8403}

_LAZY = {
    "SITES": "population",
    "FixtureListing": "population",
    "fixture_listings": "population",
    "ground_truth": "population",
    "fixture_registry": "registry",
    "write_registry_csv": "registry",
    "SimClock": "clock",
    "FaultConfig": "faults",
    "FixtureServers": "server",
    "serve_marketplaces": "server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
