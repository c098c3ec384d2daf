"""Serving the fixture marketplaces with aiohttp, in the foreground or a background thread.

One aiohttp application per site, all on one asyncio loop: keep-alive HTTP/1.1 on
127.0.0.1, pages rendered on demand from the lazy population. A middleware applies the
site's faults and counts page/API requests. ``serve_marketplaces`` runs the loop in a
daemon thread for tests and benchmarks; ``run_marketplaces`` runs it in the foreground for
``patrol marketplaces serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from patrol.marketplaces.clock import SimClock
from patrol.marketplaces.faults import FaultConfig, FaultPlan, load_faults
from patrol.marketplaces.population import SITES, World, world
from patrol.marketplaces.sites import SiteState, site_module

__all__ = ["FixtureServers", "build_app", "run_marketplaces", "serve_marketplaces"]

logger = logging.getLogger(__name__)

FaultsArg = str | FaultConfig | None | Mapping[str, str | FaultConfig | None]
_UNFAULTED = ("/robots.txt", "/static/", "/img/", "/favicon.ico")


def _faults_for(site: str, faults: FaultsArg) -> FaultConfig:
    if isinstance(faults, Mapping):
        return load_faults(faults.get(site))
    return load_faults(faults)


@web.middleware
async def _fault_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    path = request.path
    if path.startswith(_UNFAULTED):
        return await handler(request)
    state = request.app[SiteState.KEY]
    if not state.robots.can_fetch(request.path_qs, "*"):
        state.disallowed.append(request.path_qs)  # refused by the site; no fault drawn
        return await handler(request)
    state.requests += 1
    if not state.plan.config.applies_to(path):
        return await handler(request)
    fault, delay = state.plan.decide()
    if delay:
        await asyncio.sleep(delay)
    if fault is None:
        return await handler(request)
    state.faults[fault] = state.faults.get(fault, 0) + 1
    module = site_module(state.site)
    if fault == "drop":
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # aiohttp drops the request quietly
    if fault in ("error500", "error503"):
        status = 500 if fault == "error500" else 503
        return module.error_response(state, status)
    if fault == "ratelimit":
        response = module.error_response(state, 429)
        response.headers["Retry-After"] = str(state.plan.config.retry_after)
        return response
    if fault == "block":
        return module.block_response(state, request)
    response = await handler(request)  # truncate
    if isinstance(response, web.Response) and response.body is not None:
        body = bytes(response.body)  # type: ignore[arg-type]
        cut = web.Response(body=body[: len(body) // 2], status=response.status)
        cut.headers["Content-Type"] = response.headers.get("Content-Type", "text/html")
        return cut
    return response


def build_app(state: SiteState) -> web.Application:
    app = web.Application(middlewares=[_fault_middleware], handler_args={"access_log": None})
    app[SiteState.KEY] = state
    app.add_routes(site_module(state.site).routes())
    return app


@dataclass
class FixtureServers:
    """Running fixture marketplaces: their addresses, shared clock and faults."""

    clock: SimClock
    states: dict[str, SiteState] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    host: str = "127.0.0.1"

    def base_url(self, site: str) -> str:
        if site not in self.ports:
            raise KeyError(f"marketplace {site!r} is not being served")
        return f"http://{self.host}:{self.ports[site]}"

    def world(self, site: str) -> World:
        return self.states[site].world

    def set_faults(self, site: str, faults: str | FaultConfig | None) -> None:
        self.states[site].plan.reset(load_faults(faults))

    def requests(self, site: str) -> int:
        """Page and API requests served so far (robots.txt, static files and what robots.txt
        disallows excluded: those draw no fault either)."""
        return self.states[site].requests

    def disallowed(self, site: str) -> list[str]:
        """Paths (with queries) fetched from ``site`` that its robots.txt disallows."""
        return list(self.states[site].disallowed)

    def fault_counts(self, site: str) -> dict[str, int]:
        return dict(self.states[site].faults)


def _states(
    sites: Sequence[str], seed: int, listings: int, clock: SimClock, faults: FaultsArg
) -> dict[str, SiteState]:
    unknown = [s for s in sites if s not in SITES]
    if unknown:
        raise ValueError(f"unknown marketplace {unknown[0]!r} (known: {', '.join(SITES)})")
    return {
        site: SiteState(
            site, world(site, seed, listings), clock, FaultPlan(_faults_for(site, faults))
        )
        for site in sites
    }


async def _start(
    servers: FixtureServers, ports: Mapping[str, int], host: str
) -> list[web.AppRunner]:
    runners = []
    try:
        for site, state in servers.states.items():
            runner = web.AppRunner(build_app(state), access_log=None)
            await runner.setup()
            runners.append(runner)
            tcp = web.TCPSite(runner, host, ports.get(site, 0), backlog=1024)
            await tcp.start()
            sockets = getattr(tcp._server, "sockets", None) or ()
            servers.ports[site] = sockets[0].getsockname()[1] if sockets else ports[site]
    except BaseException:
        for runner in runners:
            await runner.cleanup()
        raise
    return runners


@contextlib.contextmanager
def serve_marketplaces(
    sites: Sequence[str] = SITES,
    seed: int = 1,
    listings: int = 1000,
    hour: float = 12.0,
    speed: float | None = None,
    faults: FaultsArg = None,
    ports: Mapping[str, int] | None = None,
    host: str = "127.0.0.1",
) -> Iterator[FixtureServers]:
    """Serve fixture marketplaces on ``host`` in a background thread (free ports by default)."""
    clock = SimClock(hour, speed)
    servers = FixtureServers(
        clock=clock, states=_states(sites, seed, listings, clock, faults), host=host
    )
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []
    runners: list[web.AppRunner] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            runners.extend(loop.run_until_complete(_start(servers, ports or {}, host)))
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()
        for runner in runners:
            loop.run_until_complete(runner.cleanup())
        loop.run_until_complete(loop.shutdown_asyncgens())

    thread = threading.Thread(target=run, name="fixture-marketplaces", daemon=True)
    thread.start()
    started.wait()
    if failure:
        thread.join()
        loop.close()
        raise failure[0]
    try:
        yield servers
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def run_marketplaces(
    sites: Sequence[str],
    ports: Mapping[str, int],
    seed: int,
    listings: int,
    hour: float,
    speed: float | None,
    faults: FaultsArg,
    on_ready: Callable[[FixtureServers], None],
    host: str = "127.0.0.1",
) -> None:
    """Serve in the foreground until SIGINT (Ctrl-C) or SIGTERM."""
    clock = SimClock(hour, speed)
    servers = FixtureServers(
        clock=clock, states=_states(sites, seed, listings, clock, faults), host=host
    )

    async def main() -> None:
        runners = await _start(servers, ports, host)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        on_ready(servers)
        try:
            await stop.wait()
        finally:
            for runner in runners:
                await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
