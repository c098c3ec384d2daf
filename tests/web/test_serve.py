"""`patrol web --workers N`: the supervisor hands connections to its workers in turn; Ctrl-C
stops it quietly; a port in use is one line; a client's X-Forwarded-For is believed only
from a trusted proxy; a chunked form over the cap is refused (413) before it has all been
sent, signed in or not, and a small chunked form is read as any other.

A real `patrol web` process on a loopback port; the workers' connections are counted off
the operating system (psutil), not taken on the server's word.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psutil
import pytest

from patrol.db import upgrade_database
from tests.web.server import PASSWORD, add_accounts, csrf_of, free_port, sign_in


@dataclass
class _Running:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def workers(self) -> list[psutil.Process]:
        children = psutil.Process(self.process.pid).children()
        # multiprocessing's resource tracker is a child too; it serves no connection
        return [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]

    def connections_of(self, worker: psutil.Process) -> int:
        return sum(
            1
            for c in worker.net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == self.port
        )


def _environment(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    upgrade_database(url)
    add_accounts(url)
    return {**os.environ, "PATROL_DATABASE_URL": url, "PATROL_HOME": str(tmp_path)}


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/login", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[_Running]:
    port = free_port()
    command = [sys.executable, "-m", "patrol", "web", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        command,
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,  # as in a terminal of its own: Ctrl-C reaches the whole group
    )
    running = _Running(url=f"http://127.0.0.1:{port}", port=port, process=process)
    try:
        assert _wait_for(lambda: _answers(running.url)), "patrol web did not answer"
        assert _wait_for(lambda: len(running.workers()) == 2)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(process.pid).children(recursive=True):
                    child.kill()
                process.kill()
                process.wait(10)


def test_connections_are_shared_out_evenly(two_workers: _Running) -> None:
    clients = [httpx.Client(base_url=two_workers.url, timeout=30) for _ in range(20)]
    try:
        for client in clients:  # one keep-alive connection each, all open at once
            assert sign_in(client, "li").status_code == 303
            assert client.get("/leads").status_code == 200
        # Signing in hashes a password: on a loaded machine twenty of them outlast
        # uvicorn's 5 s keep-alive, and the first connections are closed by then. A
        # quick request each opens again any that was (handed out in turn like the rest).
        for client in clients:
            assert client.get("/login").status_code in (200, 303)
        counts = [two_workers.connections_of(w) for w in two_workers.workers()]
        # in turn: 10 and 10, give or take a connection being opened or closed just now
        # (uvicorn's own workers gave 15 and 5 here)
        assert sum(counts) >= 18 and max(counts) - min(counts) <= 2, counts
    finally:
        for client in clients:
            client.close()


def test_a_worker_that_dies_is_replaced_and_stop_ends_them_all(two_workers: _Running) -> None:
    first, _ = two_workers.workers()
    first.kill()
    first.wait(10)
    assert _wait_for(
        lambda: (
            len(two_workers.workers()) == 2
            and first.pid not in {w.pid for w in two_workers.workers()}
        )
    ), "the supervisor started no new worker"
    for _ in range(6):  # a connection each, handed out in turn: the new worker answers too
        with httpx.Client(base_url=two_workers.url, timeout=30) as client:
            assert sign_in(client, "li").status_code == 303
    workers = two_workers.workers()
    two_workers.process.send_signal(signal.SIGTERM)
    assert two_workers.process.wait(30) == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers left running: {[p.pid for p in alive]}"


def test_ctrl_c_in_the_terminal_stops_supervisor_and_workers_quietly(
    two_workers: _Running,
) -> None:
    workers = two_workers.workers()
    os.killpg(two_workers.process.pid, signal.SIGINT)  # the whole group, as a terminal does
    assert two_workers.process.wait(30) == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers left running: {[p.pid for p in alive]}"
    assert two_workers.process.stderr is not None
    error = two_workers.process.stderr.read().decode()
    assert "Traceback" not in error and "KeyboardInterrupt" not in error, error


@contextlib.contextmanager
def _console(
    tmp_path: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[_Running]:
    """``patrol web`` on a free port, in a process group of its own (a terminal's)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "patrol", "web", "--port", str(port), *options],
        env={**_environment(tmp_path), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,  # Ctrl-C reaches the whole group
    )
    try:
        yield _Running(url=f"http://127.0.0.1:{port}", port=port, process=process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_ctrl_c_while_the_workers_start_is_quiet_too(tmp_path: Path) -> None:
    with _console(tmp_path, "--workers", "2") as running:
        # at once when the workers exist: they are still importing the console
        deadline = time.monotonic() + 30
        while len(running.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        workers = running.workers()
        assert len(workers) == 2
        os.killpg(running.process.pid, signal.SIGINT)
        _, err = running.process.communicate(timeout=30)
    assert running.process.returncode == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers left running: {[p.pid for p in alive]}"
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err


def test_ctrl_c_stops_a_single_server_quietly(tmp_path: Path) -> None:
    with _console(tmp_path) as running:
        assert _wait_for(lambda: _answers(running.url)), "patrol web did not answer"
        os.killpg(running.process.pid, signal.SIGINT)
        out, err = running.process.communicate(timeout=30)
    assert running.process.returncode == 0
    assert b"Traceback" not in err and b"Aborted" not in err, err
    assert out.decode().startswith(f"Listing Patrol console on {running.url}/")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_refused_in_one_line(tmp_path: Path, workers: str) -> None:
    env = _environment(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "patrol", "web", "--port", str(port), "--workers", workers],
            env=env,
            capture_output=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert (
        result.stderr.decode()
        == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
    assert b"console on" not in result.stdout  # no address shown for a console that is not up


def _wrong_passwords_from_named_addresses(url: str, count: int) -> list[int]:
    """``count`` wrong passwords, each for another name and claiming another address."""
    answers = []
    for n in range(count):
        forwarded = {"X-Forwarded-For": f"10.0.0.{n + 1}"}
        with httpx.Client(base_url=url, timeout=30, headers=forwarded) as client:
            answers.append(sign_in(client, f"nobody{n}", "wrong password").status_code)
    return answers


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_client_cannot_name_its_own_address_to_the_sign_in_brake(
    tmp_path: Path, workers: str
) -> None:
    two = {"PATROL_WEB_LOGIN_ATTEMPTS": "2"}  # and 4 x 2 wrong passwords per address
    with _console(tmp_path, "--workers", workers, env=two) as running:
        assert _wait_for(lambda: _answers(running.url)), "patrol web did not answer"
        answers = _wrong_passwords_from_named_addresses(running.url, 9)
    # all nine came from 127.0.0.1, whatever they said: the ninth is refused
    assert answers == [401] * 8 + [429]


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    behind_a_proxy = {"PATROL_WEB_LOGIN_ATTEMPTS": "2", "PATROL_WEB_TRUSTED_PROXIES": "127.0.0.1"}
    with _console(tmp_path, env=behind_a_proxy) as running:
        assert _wait_for(lambda: _answers(running.url)), "patrol web did not answer"
        answers = _wrong_passwords_from_named_addresses(running.url, 9)
    assert answers == [401] * 9  # nine clients, one wrong password each


# -- request bodies: the form cap holds for chunked bodies too -----------------------------

#: a little over the console's 256 kB form cap (patrol.web.console.MAX_FORM_BYTES)
_OVER_THE_CAP = 320 * 1024
_FIELD = b"a=" + b"x" * 1021 + b"&"  # many small fields: no one field trips the parser


def _chunked_head(path: str, port: int, cookie: str = "") -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/x-www-form-urlencoded",
        "Transfer-Encoding: chunked",
        *([f"Cookie: {cookie}"] if cookie else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer_to_an_endless_chunked_body(
    port: int, path: str, cookie: str = ""
) -> tuple[bytes, bool]:
    """Send a chunked form over the cap and never end it (no last chunk): the status line
    the server answers with, and whether it then closed the connection.

    A server that reads the whole body before answering never answers at all.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(_chunked_head(path, port, cookie))
        sent = 0
        with contextlib.suppress(OSError):  # the server may hang up on us while we send
            while sent < _OVER_THE_CAP:
                sock.sendall(b"%x\r\n%s\r\n" % (len(_FIELD), _FIELD))
                sent += len(_FIELD)
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except TimeoutError:
            pytest.fail(f"no answer to {path} within 15 s: the server waits for the whole body")
        closed = False
        try:
            while sock.recv(65536):
                pass
            closed = True
        except ConnectionResetError:  # it closed with our unread body in its buffer
            closed = True
        except TimeoutError:
            pass
    return answer.split(b"\r\n", 1)[0], closed


def _session_cookie(url: str) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        assert sign_in(client, "wang").status_code == 303
        return f"patrol_session={client.cookies['patrol_session']}"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_chunked_form_over_the_cap_is_refused_before_it_is_all_sent(
    tmp_path: Path, workers: str
) -> None:
    with _console(tmp_path, "--workers", workers) as running:
        assert _wait_for(lambda: _answers(running.url)), "patrol web did not answer"
        cookie = _session_cookie(running.url)
        for path, signed_in in (("/login", ""), ("/leads/bulk", ""), ("/leads/bulk", cookie)):
            status, closed = _answer_to_an_endless_chunked_body(running.port, path, signed_in)
            assert status == b"HTTP/1.1 413 Request Entity Too Large", (path, signed_in, status)
            assert closed, f"{path}: the connection stays open for the rest of the body"
        assert _answers(running.url)  # and the server goes on serving


def test_a_small_chunked_form_still_works(tmp_path: Path) -> None:
    with _console(tmp_path) as running:
        assert _wait_for(lambda: _answers(running.url)), "patrol web did not answer"
        with httpx.Client(base_url=running.url, timeout=30) as client:
            token = csrf_of(client.get("/login").text)
            body = urlencode(
                {"name": "wang", "password": PASSWORD, "csrf_token": token, "next": "/cases"}
            ).encode()
            signed = client.post(
                "/login",
                content=iter([body[:10], body[10:]]),  # an iterator: sent chunked
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert signed.request.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in signed.request.headers
            assert signed.status_code == 303 and signed.headers["location"] == "/cases"
            token = csrf_of(client.get("/leads").text)
            body = urlencode({"csrf_token": token, "action": "assign"}).encode()
            bulk = client.post(
                "/leads/bulk",
                content=iter([body]),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert bulk.request.headers["transfer-encoding"] == "chunked"
            # the form was read (its CSRF token passed) and answered as any other
            assert bulk.status_code == 303
            assert "Select%20at%20least%20one%20lead" in bulk.headers["set-cookie"]
