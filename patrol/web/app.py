"""The console application: :func:`create_app` puts the pages, static files and security
headers together.

Every response carries a strict Content-Security-Policy (scripts and styles only from the
console itself, no plug-ins, no framing by other sites), ``nosniff`` and a same-origin
referrer policy; a view that serves stored marketplace HTML sets its own, stricter policy
(see :mod:`patrol.web.views.evidence`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patrol.db import open_database
from patrol.web import auth
from patrol.web.config import WebConfig
from patrol.web.console import Console, error_page
from patrol.web.templating import make_environment
from patrol.web.views import accounts, cases, evidence, health, leads, reports

__all__ = ["CONSOLE_CSP", "create_app"]

logger = logging.getLogger(__name__)

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_STATIC = Path(__file__).resolve().parent / "static"


def create_app(web: WebConfig | None = None) -> Starlette:
    """The console for ``web`` (default: :meth:`WebConfig.from_env`)."""
    web = web or WebConfig.from_env()
    console = Console(
        config=web,
        database=open_database(web.database_url, server_threads=web.threads),
        templates=make_environment(),
    )
    routes = [
        Route("/", _home),
        Mount("/static", StaticFiles(directory=_STATIC), name="static"),
        *auth.ROUTES,
        *leads.ROUTES,
        *evidence.ROUTES,
        *cases.ROUTES,
        *health.ROUTES,
        *reports.ROUTES,
        *accounts.ROUTES,
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_page(console, request, 404, "There is no such page.")

    async def server_error(request: Request, exc: Exception) -> Response:
        logger.exception("console error on %s %s", request.method, request.url.path)
        return error_page(console, request, 500, "Something went wrong; it has been logged.")

    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 500: server_error},
        middleware=[Middleware(_SecurityHeaders)],
        lifespan=_lifespan(console),
    )
    app.state.console = console
    return app


def _lifespan(console: Console) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        console.database.dispose()

    return lifespan


async def _home(request: Request) -> Response:
    return RedirectResponse("/leads", status_code=303)


class _SecurityHeaders:
    """Adds the console's security headers to every response that has not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _HEADERS:
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_HEADERS = (
    (b"content-security-policy", CONSOLE_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)
