"""`patrol bench serve`: how many requests per second the fixture marketplaces sustain.

Later crawl benchmarks must be able to show that the fixture server is not their
bottleneck, so this measures it on the same machine: the three marketplaces in their own
process, a concurrent keep-alive aiohttp client on loopback sending a mix of list,
search, detail, shop and JSON API requests, bounded by a request count and a time limit.
The baseline, measured in the same run with the same client, is an aiohttp server on the
same stack that answers every request with fixed bytes of the mean response size just
measured: the ratio says how much of the stack's capacity page generation costs.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

import click

from patrol.errors import PatrolError

__all__ = ["bench_serve"]

_SEED = 1


@dataclass(frozen=True)
class _Run:
    requests: int
    errors: int
    seconds: float
    bytes: int

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _fixture_server(conn: Connection, listings: int) -> None:
    from patrol.marketplaces.server import FixtureServers, run_marketplaces

    def ready(servers: FixtureServers) -> None:
        conn.send(dict(servers.ports))

    sites = ("taoji", "kuaigou", "bazaar")
    run_marketplaces(sites, dict.fromkeys(sites, 0), _SEED, listings, 12.0, None, None, ready)


def _static_server(conn: Connection, size: int) -> None:
    from aiohttp import web

    body = b"<!DOCTYPE html><html><body>" + b"x" * size + b"</body></html>"

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html")

    async def main() -> None:
        app = web.Application(handler_args={"access_log": None})
        app.router.add_get("/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        sockets: list[Any] = list(getattr(site._server, "sockets", None) or [])
        conn.send({"static": sockets[0].getsockname()[1]})
        await asyncio.Event().wait()

    asyncio.run(main())


def _urls(ports: dict[str, int], listings: int, count: int) -> list[str]:
    """Requests in the order a patrol makes them: a result page, then its listings.

    Walks start at random result pages of the three sites (list pages, bazaar browse
    pages, kuaigou feed API pages), fetch every listing on the page (detail page or item
    API), then two shop pages; about one request in 60 is a search page.
    """
    from patrol.marketplaces.population import world

    rng = random.Random(42)
    worlds = {s: world(s, _SEED, listings) for s in ("taoji", "kuaigou", "bazaar")}
    base = {s: f"http://127.0.0.1:{ports[s]}" for s in worlds}
    out: list[str] = []
    while len(out) < count:
        site = rng.choice(("taoji", "taoji", "bazaar", "kuaigou"))
        w, b = worlds[site], base[site]
        per_page = {"taoji": 40, "bazaar": 48, "kuaigou": 20}[site]
        page = rng.randint(1, max(1, listings // per_page))
        out.append(
            {
                "taoji": f"{b}/list?page={page}",
                "bazaar": f"{b}/b/all?_pgn={page}",
                "kuaigou": f"{b}/api/feed?cat=all&page={page}",
            }[site]
        )
        slots = range((page - 1) * per_page, min(page * per_page, listings))
        for slot in slots:
            listing_id = w.ids.encode(slot * 2)
            out.append(
                f"{b}{w.url_path(listing_id)}"
                if site != "kuaigou"
                else f"{b}/api/item/{listing_id}"
            )
            if rng.random() < 1 / 60:
                out.append(f"{base['taoji']}/search?q=%E8%80%90%E5%85%8B&page={rng.randint(1, 50)}")
        shops = list(w.shops.by_id)
        for _ in range(2):
            shop = rng.choice(shops)
            out.append(f"{b}/api/shop/{shop}" if site == "kuaigou" else f"{b}{w.shop_path(shop)}")
    return out[:count]


async def _drive(urls: list[str], concurrency: int, seconds: float) -> _Run:
    import aiohttp

    queue = iter(urls)
    done = errors = size = 0
    deadline = time.monotonic() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done, errors, size
        for url in queue:
            if time.monotonic() > deadline:
                return
            try:
                async with session.get(url) as response:
                    body = await response.read()
                    size += len(body)
                    if response.status not in (200, 404, 410):
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            done += 1

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return _Run(done, errors, elapsed, size)


def _start(
    target: Callable[..., None], *args: object
) -> tuple[multiprocessing.process.BaseProcess, dict[str, int]]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise PatrolError("the benchmark server did not start within 60 s")
    return process, parent.recv()


def _measure(
    target: Callable[..., None],
    args: tuple[object, ...],
    make_urls: Callable[[dict[str, int]], list[str]],
    concurrency: int,
    seconds: float,
) -> _Run:
    process, ports = _start(target, *args)
    try:
        urls = make_urls(ports)
        asyncio.run(_drive(urls[: min(200, len(urls))], concurrency, seconds))  # warm-up
        return asyncio.run(_drive(urls, concurrency, seconds))
    finally:
        process.terminate()
        process.join(10)


@click.command(name="serve")
@click.option(
    "--requests",
    "requests_",
    type=int,
    default=8000,
    show_default=True,
    help="Requests per measurement (upper bound).",
)
@click.option(
    "--seconds", type=float, default=15.0, show_default=True, help="Time limit per measurement."
)
@click.option("--concurrency", type=int, default=32, show_default=True)
@click.option(
    "--listings", type=int, default=100_000, show_default=True, help="Listings per marketplace."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_serve(
    requests_: int, seconds: float, concurrency: int, listings: int, as_json: bool
) -> None:
    """Requests/s the fixture marketplaces sustain, against a static-bytes baseline."""
    if requests_ < 1 or seconds <= 0 or concurrency < 1 or listings < 1:
        raise PatrolError("--requests, --seconds, --concurrency and --listings must be positive")
    fixture = _measure(
        _fixture_server,
        (listings,),
        lambda ports: _urls(ports, listings, requests_),
        concurrency,
        seconds,
    )
    size = fixture.bytes // max(1, fixture.requests)
    baseline = _measure(
        _static_server,
        (size,),
        lambda ports: [f"http://127.0.0.1:{ports['static']}/p{i}" for i in range(requests_)],
        concurrency,
        seconds,
    )
    result = {
        "requests_per_s": round(fixture.per_s, 1),
        "baseline_requests_per_s": round(baseline.per_s, 1),
        "ratio": round(fixture.per_s / baseline.per_s, 3) if baseline.per_s else None,
        "requests": fixture.requests,
        "errors": fixture.errors,
        "mean_body_bytes": fixture.bytes // max(1, fixture.requests),
        "seconds": round(fixture.seconds, 2),
        "baseline": asdict(baseline) | {"seconds": round(baseline.seconds, 2)},
        "concurrency": concurrency,
        "listings_per_site": listings,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"fixture marketplaces: {result['requests_per_s']:,.0f} requests/s "
        f"({fixture.requests} requests, {fixture.errors} errors, "
        f"{result['mean_body_bytes']:,} bytes/response, {concurrency} concurrent)"
    )
    click.echo(
        f"baseline (static {size:,}-byte responder, same stack): "
        f"{result['baseline_requests_per_s']:,.0f} requests/s"
    )
    click.echo(f"ratio: {result['ratio']}")
