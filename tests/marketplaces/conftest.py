"""Shared helpers: a tiny HTTP fetcher and running fixture marketplaces."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from patrol.marketplaces import serve_marketplaces
from patrol.marketplaces.server import FixtureServers

SEED = 7
LISTINGS = 300


@dataclass
class Fetched:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)


def fetch(url: str, timeout: float = 10) -> Fetched:
    assert url.startswith("http://127.0.0.1:"), url
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.headers, error.read())


@pytest.fixture(autouse=True)
def _patrol_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path_factory.getbasetemp()))


@pytest.fixture(scope="module")
def fx() -> Iterator[FixtureServers]:
    """All three marketplaces, seed 7, 300 listings each, clock fixed at 10:00."""
    with serve_marketplaces(seed=SEED, listings=LISTINGS, hour=10.0) as servers:
        yield servers
