"""`patrol bench web`: console latency with 100,000 leads, under concurrent clients.

Per database (SQLite in a temporary folder; PostgreSQL in a database created for the run on
127.0.0.1:5432 and dropped after it), the leads database is filled by
:mod:`patrol.bench.webfill`, ``patrol web`` is started as a real server process on a free
loopback port, ``--clients`` keep-alive clients sign in through the login form (one shared
supervisor account, a session each) and then, page by page, send ``--requests`` requests
(or stop at ``--seconds``) 20 at a time: the leads queue's default page, a filtered queue
page, and lead pages of random leads. The baseline, measured by the same clients against
the same server in the same run, is the console's stylesheet — a static file behind the
same middleware — so ``p95 ÷ baseline p95`` is what a page costs over the server's floor
on this machine. Target: p95 < 200 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from patrol.errors import PatrolError

__all__ = ["PAGES", "bench_web"]

DATABASES = ("sqlite", "postgresql")
PG_ROLES = ("postgres", "root")
TARGET_P95_MS = 200.0
#: page name → what it fetches (``{lead}``: a random lead id)
PAGES = {
    "baseline": "/static/console.css",
    "leads": "/leads",
    "leads_filtered": "/leads?status=assigned&site=taoji&brand=nike&min_score=0.9",
    "lead": "/leads/{lead}",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Latency:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float


def _pg_admin(given: str | None) -> str:
    """The admin DSN: ``--postgres``, else database ``test`` as role postgres, else root."""
    import psycopg

    candidates = (
        [given] if given else [f"host=127.0.0.1 port=5432 dbname=test user={r}" for r in PG_ROLES]
    )
    for dsn in candidates:
        try:
            with psycopg.connect(dsn, connect_timeout=5):
                return dsn
        except psycopg.OperationalError:
            continue
    raise PatrolError(f"cannot reach PostgreSQL on 127.0.0.1:5432 ({', '.join(candidates)})")


@contextmanager
def _database(kind: str, folder: Path, pg_admin: str | None) -> Iterator[str]:
    """A fresh, migrated, empty database of ``kind`` (its URL), removed afterwards."""
    from patrol.db import upgrade_database
    from patrol.distributed.services import temporary_database

    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench-web.db'}"
        upgrade_database(url)
        yield url
        return
    with temporary_database(_pg_admin(pg_admin)) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _console(url: str, home: Path, workers: int) -> Iterator[str]:
    """``patrol web --workers N`` on a free loopback port, in its own process group."""
    import httpx

    port = _free_port()
    env = {**os.environ, "PATROL_DATABASE_URL": url, "PATROL_HOME": str(home)}
    argv = [sys.executable, "-m", "patrol", "web", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers)]
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise PatrolError(f"patrol web exited: {error[-2000:]}")
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise PatrolError("patrol web did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this function started
            process.wait(10)


async def _sign_in(session: Any, base: str, name: str, password: str) -> None:
    async with session.get(f"{base}/login") as form:
        match = _CSRF.search(await form.text())
    if match is None:
        raise PatrolError("the login page has no CSRF token")
    data = {"name": name, "password": password, "csrf_token": match.group(1), "next": "/"}
    async with session.post(f"{base}/login", data=data, allow_redirects=False) as answer:
        if answer.status != 303:
            raise PatrolError(f"benchmark sign-in failed: HTTP {answer.status}")


async def _drive(
    sessions: list[Any], base: str, path: Callable[[], str], requests: int, seconds: float
) -> Latency:
    """``requests`` GETs (at most ``seconds`` long), one client per session at a time."""
    latencies: list[float] = []
    errors = 0
    left = requests
    deadline = time.monotonic() + seconds

    async def client(session: Any) -> None:
        nonlocal left, errors
        while left > 0 and time.monotonic() < deadline:
            left -= 1
            started = time.perf_counter()
            async with session.get(base + path(), allow_redirects=False) as answer:
                await answer.read()
                ok = answer.status == 200
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok

    started = time.monotonic()
    await asyncio.gather(*(client(session) for session in sessions))
    elapsed = time.monotonic() - started
    if not latencies:
        raise PatrolError("no request finished within the time limit")
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    return Latency(
        len(latencies),
        errors,
        round(elapsed, 2),
        round(statistics.median(latencies), 1),
        round(p95, 1),
    )


async def _measure_pages(
    base: str,
    account: tuple[str, str],
    lead_ids: range,
    clients: int,
    requests: int,
    seconds: float,
) -> dict[str, Latency]:
    import aiohttp

    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    sessions = [
        aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            timeout=timeout,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        )
        for _ in range(clients)
    ]
    try:
        for session in sessions:
            await _sign_in(session, base, *account)
        results = {}
        for page, template in PAGES.items():

            def path(template: str = template) -> str:
                return template.format(lead=rng.choice(lead_ids))

            await _drive(sessions, base, path, clients * 2, seconds)  # warm-up
            results[page] = await _drive(sessions, base, path, requests, seconds)
        return results
    finally:
        for session in sessions:
            await session.close()
        await connector.close()


def _bench_one(
    kind: str,
    leads: int,
    clients: int,
    requests: int,
    seconds: float,
    workers: int,
    pg_admin: str | None,
) -> tuple[float, dict[str, Latency]]:
    from patrol.bench.webfill import fill_database
    from patrol.db import open_database
    from patrol.web.accounts import add_user

    with (
        tempfile.TemporaryDirectory(prefix="patrol-bench-web-") as tmp,
        _database(kind, Path(tmp), pg_admin) as url,
    ):
        started = time.perf_counter()
        filled = fill_database(url, leads)
        fill_seconds = time.perf_counter() - started
        password = secrets.token_urlsafe(16)
        database = open_database(url)
        with database.sessions.begin() as session:
            add_user(session, "bench", password, "supervisor", "Bench Supervisor")
        database.dispose()
        with _console(url, Path(tmp), workers) as base:
            pages = asyncio.run(
                _measure_pages(
                    base, ("bench", password), filled.lead_ids, clients, requests, seconds
                )
            )
    return fill_seconds, pages


def _flat(kind: str, fill_seconds: float, pages: dict[str, Latency]) -> dict[str, Any]:
    floor = pages["baseline"].p95_ms or 0.1
    result: dict[str, Any] = {f"{kind}.fill_s": round(fill_seconds, 3)}
    for page, latency in pages.items():
        for name in ("p50_ms", "p95_ms", "requests", "errors", "seconds"):
            result[f"{kind}.{page}.{name}"] = getattr(latency, name)
        if page != "baseline":
            result[f"{kind}.{page}.p95_ratio"] = round(latency.p95_ms / floor, 1)
    return result


def _print(result: dict[str, Any], kinds: list[str]) -> None:
    click.echo(
        f"console latency, {result['leads']:,} leads, {result['clients']} concurrent clients, "
        f"patrol web --workers {result['workers']}, ≤{result['requests']} requests per page"
    )
    for kind in kinds:
        click.echo(f"  {kind} (filled in {result[f'{kind}.fill_s']} s)")
        for page, path in PAGES.items():
            key = f"{kind}.{page}"
            ratio = "" if page == "baseline" else f"   p95 ÷ baseline {result[key + '.p95_ratio']}×"
            verdict = (
                ""
                if page == "baseline"
                else ("  ok" if result[key + ".p95_ms"] < TARGET_P95_MS else "  OVER TARGET")
            )
            click.echo(
                f"    {page:<15} GET {path.replace('{lead}', '<id>'):<62} "
                f"p50 {result[key + '.p50_ms']:>7.1f} ms  p95 {result[key + '.p95_ms']:>7.1f} ms  "
                f"{result[key + '.requests']:>5} req {result[key + '.errors']} err{ratio}{verdict}"
            )
    click.echo(f"  baseline: GET {PAGES['baseline']} on the same server; target p95 < 200 ms")


@click.command(name="web")
@click.option("--leads", type=click.IntRange(100), default=100_000, show_default=True)
@click.option("--clients", type=click.IntRange(1, 200), default=20, show_default=True)
@click.option(
    "--requests",
    "requests_",
    type=click.IntRange(10),
    default=600,
    show_default=True,
    help="Requests per page (upper bound).",
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Time limit per page.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="patrol web --workers.",
)
@click.option(
    "--databases",
    default=",".join(DATABASES),
    show_default=True,
    help="Comma-separated: sqlite, postgresql.",
)
@click.option(
    "--postgres",
    "pg_admin",
    help="Admin DSN of the PostgreSQL server "
    "(default: dbname=test on 127.0.0.1:5432 as postgres, else root).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_web(
    leads: int,
    clients: int,
    requests_: int,
    seconds: float,
    workers: int,
    databases: str,
    pg_admin: str | None,
    as_json: bool,
) -> None:
    """Median and p95 latency of the leads queue and a lead page, against a static file."""
    kinds = [k.strip() for k in databases.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in DATABASES]
    if unknown or not kinds:
        raise PatrolError(f"--databases: choose among {', '.join(DATABASES)}, not {databases!r}")
    result: dict[str, Any] = {
        "leads": leads,
        "clients": clients,
        "workers": workers,
        "requests": requests_,
        "target_p95_ms": TARGET_P95_MS,
    }
    for kind in kinds:
        fill_seconds, pages = _bench_one(
            kind, leads, clients, requests_, seconds, workers, pg_admin
        )
        result.update(_flat(kind, fill_seconds, pages))
    if as_json:
        click.echo(json.dumps(result))
    else:
        _print(result, kinds)
