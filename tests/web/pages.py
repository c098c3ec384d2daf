"""Small helpers of the cases, health and reports page tests: a signed-in client, a form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.web.server import ConsoleServer, csrf_of, sign_in

__all__ = ["post_form", "signed_in"]


@contextmanager
def signed_in(console: ConsoleServer, name: str) -> Iterator[httpx.Client]:
    """An HTTP client of ``console``, signed in as ``name`` through the real form."""
    with console.client() as client:
        assert sign_in(client, name).status_code == 303
        yield client


def post_form(client: httpx.Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """POST ``data`` to ``action`` with the CSRF token of a form on ``page``, as a browser."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token})
