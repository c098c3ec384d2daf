"""`patrol users` and `patrol web` at the terminal: accounts, and one-line refusals."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.config import PROJECT_ROOT
from patrol.db import open_database
from patrol.web.accounts import check_password
from tests.web.server import free_port


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.output


def test_users_add_list_set(db_url: str) -> None:
    code, out = _run(
        "users",
        "add",
        "Li",
        "--role",
        "officer",
        "--full-name",
        "Officer Li",
        stdin="a long password\na long password\n",
    )
    assert code == 0, out
    assert "added li (officer)" in out
    code, out = _run("users", "list")
    assert code == 0 and "li\tofficer\tactive\tOfficer Li" in out

    code, out = _run("users", "set", "li", "--role", "supervisor", "--disable")
    assert code == 0, out
    database = open_database(db_url)
    with database.sessions() as session:
        assert check_password(session, "li", "a long password") is None  # disabled
    database.dispose()
    assert "li\tsupervisor\tdisabled" in _run("users", "list")[1]
    assert _run("users", "set", "li", "--enable")[0] == 0
    database = open_database(db_url)
    with database.sessions() as session:
        user = check_password(session, "li", "a long password")
        assert user is not None and user.role == "supervisor"
    database.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("users", "add", "x", "--role", "officer", "--password", "long enough pw"),
            "bad login name",
        ),
        (("users", "add", "bob", "--role", "officer", "--password", "short"), "at least 10"),
        (("users", "set", "nobody", "--disable"), "no account named 'nobody'"),
        (("users", "set", "nobody"), "nothing to change"),
    ],
)
def test_bad_account_input_is_one_line(db_url: str, args: tuple[str, ...], message: str) -> None:
    code, out = _run(*args)
    assert code == 2
    assert message in out and len(out.strip().splitlines()) == 1


def test_duplicate_account_is_refused(db_url: str) -> None:
    assert _run("users", "add", "bob", "--role", "officer", "--password", "long enough pw")[0] == 0
    code, out = _run("users", "add", "BOB", "--role", "admin", "--password", "long enough pw")
    assert code == 2 and "already an account named 'bob'" in out


def test_web_without_a_database_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.delenv("PATROL_DATABASE_URL", raising=False)
    code, out = _run("web", "--port", "8999")
    assert code == 2 and out.startswith("Error: no database at ") and "patrol db upgrade" in out
    code, out = _run("web", "--port", "0")
    assert code == 2 and "--port" in out


def test_web_serves_the_console(db_url: str) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "patrol", "web", "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.2)
        assert answer.status_code == 200 and "Sign in" in answer.text
    finally:
        server.terminate()
        server.wait(timeout=20)
