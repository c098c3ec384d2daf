"""Real patrols through the pipelines: runs recorded, listings stored, gone ones marked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import Lead, ListingRow, PatrolRun

ROOT = Path(__file__).resolve().parents[2]

ITEMS: dict[str, str] = {}


def _page(title: str, price: str, shop: str) -> str:
    return (
        f"<html><body><h1>{title}</h1><p class='price'>{price}</p>"
        f"<p class='shop'>{shop}</p><p class='desc'>see photos</p></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/index":
            body = "".join(f"<a href='/item/{i}'>{i}</a>" for i in sorted(ITEMS))
        elif self.path.startswith("/item/") and self.path[6:] in ITEMS:
            body = ITEMS[self.path[6:]]
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _patrol(server: str, url: str, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.pipelines.crawl_process", server, url, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stats: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return stats


@pytest.mark.slow
def test_patrols_store_listings_record_runs_and_mark_gone(db: Database, server: str) -> None:
    ITEMS.clear()
    ITEMS.update(
        {
            "a1": _page("NIKE Air Max 高仿 1:1 复刻", "¥ 1,299.00", "fake-shop"),
            "a2": _page("Plain cotton socks", "¥19.90", "sock-shop"),
            "a3": _page("Wool scarf", "¥59", "sock-shop"),
            "a4": _page("Leather belt", "¥89", "sock-shop"),
            "a5": _page("Canvas bag", "¥35", "sock-shop"),
        }
    )
    first = _patrol(server, db.url)
    assert first["patrol/listings_new"] == 5
    assert first["patrol/flagged"] == first["patrol/leads_new"] == 1

    ITEMS.pop("a5")  # taken down
    ITEMS["a3"] = _page("Wool scarf, now on sale", "¥49", "sock-shop")
    second = _patrol(server, db.url)
    assert (second["patrol/listings_changed"], second["patrol/listings_unchanged"]) == (1, 3)
    assert second["patrol/listings_gone"] == 1
    assert "patrol/leads_new" not in second

    ITEMS.pop("a4")
    blocked = _patrol(server, db.url, "blocked")
    assert blocked["finish_reason"] == "blocked"
    assert "patrol/listings_gone" not in blocked  # a blocked patrol marks nothing gone

    with db.sessions() as session:
        runs = session.scalars(select(PatrolRun).order_by(PatrolRun.id)).all()
        assert [(r.site, r.status) for r in runs] == [
            ("testshop", "finished"),
            ("testshop", "finished"),
            ("testshop", "blocked"),
        ]
        assert runs[0].listings == 5 or runs[0].stats["patrol/listings_new"] == 5
        assert runs[1].stats["patrol/listings_gone"] == 1
        assert runs[0].pages >= 6 and runs[0].finished_at is not None
        listings = {row.listing_id: row for row in session.scalars(select(ListingRow))}
        assert listings["a1"].price is not None and str(listings["a1"].price) == "1299.0000"
        assert listings["a5"].status == "gone" and listings["a4"].status == "active"
        assert listings["a3"].last_run_id == runs[1].id
        lead = session.scalars(select(Lead)).one()
        assert lead.listing.listing_id == "a1"
        assert lead.reasons and lead.events[0].data["run_id"] == runs[0].id
