"""Numbers in the console's URLs past what the database can hold: a 404 or the last page
there is, never a server error (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest

from patrol.web.ids import LARGEST_ID
from tests.web.server import ConsoleServer, sign_in

HUGE = "9" * 23  # past a 64-bit key


@pytest.mark.parametrize(
    "path",
    [
        f"/leads/{HUGE}",
        f"/leads/{HUGE}/evidence/page",
        f"/leads/{HUGE}/evidence/screenshot",
        f"/cases/{HUGE}",
    ],
)
def test_an_id_too_long_for_the_database_is_not_found(console: ConsoleServer, path: str) -> None:
    with console.client() as client:
        sign_in(client, "wang")
        assert client.get(path).status_code == 404


def test_ids_past_the_largest_key_are_missing_like_any_other(console: ConsoleServer) -> None:
    def answer(client: httpx.Client, path: str) -> tuple[int, str | None]:
        got = client.get(path)
        return got.status_code, got.headers.get("location")

    with console.client() as client:
        sign_in(client, "wang")
        for area in ("leads", "cases"):
            missing = answer(client, f"/{area}/{LARGEST_ID}")  # no such row, but a key
            assert missing[0] in (303, 404)
            for past in (LARGEST_ID + 1, 9_999_999_999):  # past the column; 10 digits
                assert answer(client, f"/{area}/{past}") == missing, (area, past)


@pytest.mark.parametrize("path", ["/leads", "/cases"])
def test_a_page_number_past_any_offset_shows_a_page(console: ConsoleServer, path: str) -> None:
    with console.client() as client:
        sign_in(client, "wang")
        answer = client.get(path, params={"page": HUGE})
        assert answer.status_code == 200
        assert client.get(path, params={"page": "1e300"}).status_code == 200
