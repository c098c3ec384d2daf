"""Signing in and out, sessions that expire, CSRF, roles by URL, and the guessing brake."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from patrol.web.config import WebConfig
from tests.web.server import PASSWORD, ConsoleServer, console_server, csrf_of, sign_in


def test_pages_need_a_session(console: ConsoleServer) -> None:
    with console.client() as client:
        answer = client.get("/leads?status=new")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Fleads%3Fstatus%3Dnew"
        assert client.post("/logout", data={}).headers["location"] == "/login"


def test_sign_in_and_out(console: ConsoleServer) -> None:
    with console.client() as client:
        answer = sign_in(client, "li")
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "patrol_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        page = client.get("/accounts")  # an officer is not an admin
        assert page.status_code == 403 and "Officer Li" in page.text
        token = csrf_of(page.text)  # the sign-out form in the header
        out = client.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        # the old cookie is worth nothing now, even if a browser kept it
        client.cookies.set("patrol_session", cookie.split(";")[0].split("=", 1)[1])
        assert client.get("/accounts").status_code == 303


def test_wrong_password_and_unknown_name_look_the_same(console: ConsoleServer) -> None:
    with console.client() as client:
        wrong = sign_in(client, "li", "not the password")
        unknown = sign_in(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password." in wrong.text and "Wrong name or password." in unknown.text
    assert "patrol_session" not in wrong.headers.get("set-cookie", "")


def test_sign_in_form_needs_its_csrf_token(console: ConsoleServer) -> None:
    with console.client() as client:
        client.get("/login")
        forged = client.post("/login", data={"name": "li", "password": PASSWORD})
    assert forged.status_code == 403
    assert "patrol_session" not in forged.headers.get("set-cookie", "")


def test_a_form_without_its_csrf_token_is_refused(console: ConsoleServer) -> None:
    with console.client() as client:
        sign_in(client, "admin")
        page = client.get("/accounts")
        assert page.status_code == 200
        data = {"name": "newcomer", "full_name": "N", "role": "officer", "password": "x" * 12}
        refused = client.post("/accounts/add", data=data)
        assert refused.status_code == 403 and "did not come from the console" in refused.text
        wrong = client.post("/accounts/add", data={**data, "csrf_token": "guess"})
        assert wrong.status_code == 403
        assert "newcomer" not in client.get("/accounts").text
        done = client.post("/accounts/add", data={**data, "csrf_token": csrf_of(page.text)})
        assert done.status_code == 303
        assert "newcomer" in client.get("/accounts").text


def test_wrong_passwords_are_rate_limited(db_url: str, accounts: dict[str, str]) -> None:
    web = WebConfig.from_env(database_url=db_url, login_attempts=3)
    with console_server(web) as server, server.client() as client:
        for _ in range(3):
            assert sign_in(client, "wang", "guess " * 3).status_code == 401
        paused = sign_in(client, "wang")  # even the right password, for now
        assert paused.status_code == 429
        assert int(paused.headers["retry-after"]) > 60
        assert "Too many failed sign-ins" in paused.text
        assert sign_in(client, "li").status_code == 303  # other accounts are not locked out


def test_guesses_sent_at_once_meet_the_same_brake(db_url: str, accounts: dict[str, str]) -> None:
    """Wrong passwords sent together: no more than ``login_attempts`` are even tried.

    Each try is counted before its password is checked, so guesses that arrive while
    others are still being hashed cannot all slip under the brake.
    """
    attempts, guesses = 3, 16
    web = WebConfig.from_env(database_url=db_url, login_attempts=attempts, threads=8)
    with console_server(web) as server:
        clients = [server.client() for _ in range(guesses)]
        forms = [client.get("/login") for client in clients]  # each its own CSRF token
        start = threading.Barrier(guesses)

        def guess(index: int) -> int:
            client = clients[index]
            data = {"name": "wang", "password": f"guess {index}", "next": "/"}
            data["csrf_token"] = csrf_of(forms[index].text)
            start.wait()
            return client.post("/login", data=data).status_code

        with ThreadPoolExecutor(max_workers=guesses) as pool:
            statuses = list(pool.map(guess, range(guesses)))
        for client in clients:
            client.close()
        assert set(statuses) <= {401, 429}
        tried = statuses.count(401)
        assert 1 <= tried <= attempts, statuses
        with server.client() as client:
            # Tries refused unchecked are forgiven: only the checked ones count, so the
            # brake closes after exactly ``attempts`` wrong passwords in all, not earlier.
            for _ in range(attempts - tried):
                assert sign_in(client, "wang", "one more guess").status_code == 401
            assert sign_in(client, "wang").status_code == 429  # paused, right password or not
            assert sign_in(client, "li").status_code == 303


def test_a_session_ends_when_it_idles(db_url: str, accounts: dict[str, str]) -> None:
    from sqlalchemy import update

    from patrol.db import open_database
    from patrol.db.accounts import WebSession
    from patrol.db.models import utcnow

    web = WebConfig.from_env(database_url=db_url, session_idle=timedelta(minutes=5))
    with console_server(web) as server, server.client() as client:
        sign_in(client, "admin")
        assert client.get("/accounts").status_code == 200
        database = open_database(db_url)
        with database.sessions.begin() as session:  # six minutes pass without a request
            session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
        database.dispose()
        assert client.get("/accounts").status_code == 303


def test_disabling_an_account_ends_its_sessions(console: ConsoleServer, db_url: str) -> None:
    from patrol.db import open_database
    from patrol.web.accounts import find_user

    database = open_database(db_url)
    with database.sessions() as session:
        zhao = find_user(session, "zhao")
        assert zhao is not None
        user_id = zhao.id
    database.dispose()
    with console.client() as officer, console.client() as admin:
        sign_in(officer, "zhao")
        assert officer.get("/leads").status_code == 200
        sign_in(admin, "admin")
        token = csrf_of(admin.get("/accounts").text)
        answer = admin.post(f"/accounts/{user_id}", data={"csrf_token": token, "action": "disable"})
        assert answer.status_code == 303
        assert officer.get("/leads").status_code == 303
        assert sign_in(officer, "zhao").status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil",
        "/\t/evil.example/",
        "/\n/evil",
        "/ /x",
    ],
)
def test_sign_in_never_redirects_off_site(console: ConsoleServer, target: str) -> None:
    with console.client() as client:
        form = client.get("/login", params={"next": target})
        answer = client.post(
            "/login",
            data={
                "name": "li",
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": target,
            },
        )
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_security_headers(console: ConsoleServer) -> None:
    with console.client() as client:
        headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_a_form_that_sends_a_file_or_too_much_is_refused_unread(console: ConsoleServer) -> None:
    with console.client() as client:
        sign_in(client, "wang")
        token = csrf_of(client.get("/leads").text)
        with_a_file = client.post(
            "/leads/bulk",
            data={"csrf_token": token, "action": "assign"},
            files={"upload": ("x.bin", b"\0" * 1024)},
        )
        assert with_a_file.status_code == 400
        too_much = client.post(
            "/leads/bulk", data={"csrf_token": token, "action": "x" * (300 * 1024)}
        )
        assert too_much.status_code == 413
    with console.client() as stranger:  # refused before anyone is known
        assert stranger.post("/login", data={"name": "x" * (300 * 1024)}).status_code == 413
