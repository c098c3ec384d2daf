"""The one-line message a page shows after a form (the flash cookie) is the console's own:
signed for the session it was written in, so a forged, altered or borrowed one is dropped
unshown, and what it repeats of the user's input is escaped.

Over HTTP against a real console server, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.web.server import ConsoleServer, csrf_of, sign_in

HOSTILE = "<script>alert(1)</script>"
#: what the console answers an admin who adds an account named HOSTILE (an error flash)
SAID = "bad login name"


def _hostile_flash(client: httpx.Client) -> str:
    """Have the console write a flash repeating HOSTILE; the flash cookie's value."""
    token = csrf_of(client.get("/accounts").text)
    answer = client.post(
        "/accounts/add",
        data={"csrf_token": token, "name": HOSTILE, "password": "x" * 20, "role": "officer"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/accounts"
    return client.cookies["patrol_flash"]


def _shown(client: httpx.Client, flash: str) -> httpx.Response:
    client.cookies.set("patrol_flash", flash, domain="127.0.0.1", path="/")
    answer = client.get("/accounts")
    assert answer.status_code == 200
    return answer


def _cleared(answer: httpx.Response) -> bool:
    cookies = answer.headers.get_list("set-cookie")
    return any(c.startswith('patrol_flash="";') or c.startswith("patrol_flash=;") for c in cookies)


def test_the_consoles_flash_is_shown_once_and_escaped(console: ConsoleServer) -> None:
    with console.client() as client:
        sign_in(client, "admin")
        flash = _hostile_flash(client)
        client.cookies.delete("patrol_flash")
        answer = _shown(client, flash)
        assert SAID in answer.text
        assert HOSTILE not in answer.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
        assert _cleared(answer)


def test_a_forged_flash_is_not_shown(console: ConsoleServer) -> None:
    forged = "!Your password has expired: call +1-555-0100"
    with console.client() as client:
        sign_in(client, "admin")
        for value in (
            quote(forged),  # as the console once wrote them: unsigned
            f"{quote(forged)}.{'0' * 64}",  # a made-up signature
            f"{quote(forged)}.",
            ".",
            "%ZZ%00" * 100,
        ):
            answer = _shown(client, value)
            assert "555-0100" not in answer.text, value
            assert 'class="flash' not in answer.text, value
            assert _cleared(answer), value  # dropped, not kept for another page


def test_an_altered_flash_is_not_shown(console: ConsoleServer) -> None:
    with console.client() as client:
        sign_in(client, "admin")
        quoted, _, signature = _hostile_flash(client).rpartition(".")
        client.cookies.delete("patrol_flash")
        altered = quoted.replace("bad%20login%20name", "call%20%2B1-555-0100%20about%20your")
        assert altered != quoted
        answer = _shown(client, f"{altered}.{signature}")
        assert "555-0100" not in answer.text and SAID not in answer.text


def test_a_flash_of_another_session_is_not_shown(console: ConsoleServer) -> None:
    with console.client() as first:
        sign_in(first, "admin")
        flash = _hostile_flash(first)
    with console.client() as second:  # the same account, signed in again
        sign_in(second, "admin")
        answer = _shown(second, flash)
        assert SAID not in answer.text and _cleared(answer)
