"""A real console server for tests: uvicorn on 127.0.0.1, a free port, in a thread.

Tests talk to it over HTTP (httpx, or Chromium through Playwright), as a browser would;
nothing is called in-process.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from patrol.db import open_database
from patrol.web.accounts import add_user
from patrol.web.app import create_app
from patrol.web.config import WebConfig

__all__ = [
    "PASSWORD",
    "ConsoleServer",
    "add_accounts",
    "console_server",
    "csrf_of",
    "free_port",
    "sign_in",
]

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ConsoleServer:
    url: str
    config: WebConfig

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def console_server(web: WebConfig) -> Iterator[ConsoleServer]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(web), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.02)
    try:
        yield ConsoleServer(url=f"http://127.0.0.1:{port}", config=web)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def add_accounts(database_url: str) -> dict[str, str]:
    """An officer ``li``, a second officer ``zhao``, a supervisor ``wang``, an admin."""
    accounts = {
        "li": ("officer", "Officer Li"),
        "zhao": ("officer", "Officer Zhao"),
        "wang": ("supervisor", "Supervisor Wang"),
        "admin": ("admin", "Admin"),
    }
    database = open_database(database_url)
    try:
        with database.sessions.begin() as session:
            for name, (role, full_name) in accounts.items():
                add_user(session, name, PASSWORD, role, full_name)
    finally:
        database.dispose()
    return {name: role for name, (role, _) in accounts.items()}


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the real form (its CSRF cookie and field); returns the answer."""
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(form.text), "next": "/"},
    )
