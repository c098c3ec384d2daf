"""Running the console: one server process, or several that share the connections evenly.

Why not uvicorn's own ``--workers``: its workers share one listening socket, and the
worker that wakes first accepts every connection then waiting (the event loop accepts up
to the backlog on each wake-up). A burst of keep-alive connections — a morning's
browsers, or a benchmark's clients — then lands mostly on one worker: 15 of 20 in a
measured run, which made that worker's pages three times as slow as the other's while it
sat half idle. ``SO_REUSEPORT`` sockets, one per worker, fare little better: the kernel
hashes each connection to a socket at random, and 14 of 20 was seen too.

So, as Node.js's cluster module does by default, the supervisor accepts every
connection itself and hands it to the workers in turn, over a Unix socket
(``SCM_RIGHTS``); each worker serves the connections it is given with an ordinary
uvicorn server. Twenty connections make ten each. The supervisor also starts again a
worker that dies (but gives up if workers keep dying within seconds of starting: a bad
setting would only loop), and on SIGINT or SIGTERM stops them all, each finishing the
requests it is serving. Where the platform cannot pass sockets (no ``socket.send_fds``),
uvicorn's own workers are used instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from patrol.errors import PatrolError

__all__ = ["listen", "serve_console"]

logger = logging.getLogger(__name__)

_APP = "patrol.web.app:create_app"
_QUICK_DEATH_S = 10.0  # a worker that dies sooner than this after starting "keeps dying"
_QUICK_DEATHS = 5  # ... this many times in a row: give up
_STOP_GRACE_S = 20.0


def serve_console(listener: socket.socket, workers: int, access_log: bool) -> None:
    """Serve the console on ``listener`` (see :func:`listen`) with ``workers`` processes
    until stopped."""
    if workers > 1 and hasattr(socket, "send_fds"):
        _Supervisor(listener, workers, access_log).run()
        return
    config = _uvicorn_config(access_log, workers=workers)
    try:
        if workers > 1:  # no socket passing on this platform: uvicorn's own workers
            Multiprocess(config, sockets=[listener]).run()
            return
        server = uvicorn.Server(config)
        with contextlib.suppress(KeyboardInterrupt):  # raised again once it has stopped
            server.run(sockets=[listener])
        if not server.started:  # the app did not start (its error is logged): as uvicorn
            raise SystemExit(3)
    finally:
        listener.close()


def listen(host: str, port: int) -> socket.socket:
    """The console's listening socket, bound before anything says the console is up; a
    port in use (or an address not of this machine) is a :class:`PatrolError`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PatrolError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


class _HandedServer(uvicorn.Server):
    """A uvicorn server that listens on nothing: it serves the connections its
    supervisor sends down ``channel``, and stops when the supervisor goes away."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self._channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        self._channel.setblocking(False)
        loop.add_reader(self._channel.fileno(), self._take, loop)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGINT:
            return  # Ctrl-C reaches the terminal's whole group: the supervisor stops us
        super().handle_exit(sig, frame)

    def _take(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            _, fds, _, _ = socket.recv_fds(self._channel, 1, 64)
        except BlockingIOError:
            return
        except OSError:
            fds = []
        if not fds:  # the supervisor has gone: finish what is in hand, then stop
            loop.remove_reader(self._channel.fileno())
            self.should_exit = True
            return
        for fd in fds:
            connection = socket.socket(fileno=fd)
            loop.create_task(loop.connect_accepted_socket(self._protocol, connection))

    def _protocol(self) -> asyncio.Protocol:
        config = self.config
        return config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=self.server_state, app_state=self.lifespan.state
        )


def _work(channel: socket.socket, access_log: bool) -> None:
    """One worker process: a uvicorn server fed by the supervisor."""
    _HandedServer(_uvicorn_config(access_log), channel).run()


def _uvicorn_config(access_log: bool, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for the console, forwarded headers believed only from the proxies
    ``PATROL_WEB_TRUSTED_PROXIES`` names.

    uvicorn believes ``X-Forwarded-For`` from loopback by default, so any local client (or
    a TLS terminator that passes the client's own header on) could give each wrong
    password a new address and never meet the sign-in brake per address.
    """
    from patrol.web.config import WebConfig

    proxies = WebConfig.from_env().trusted_proxies
    return uvicorn.Config(
        _APP,
        factory=True,
        access_log=access_log,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        **options,
    )


@contextlib.contextmanager
def _sigint_ignored_by_the_child() -> Iterator[None]:
    """Start a process that ignores SIGINT from its first instruction.

    Ctrl-C reaches the terminal's whole group; a worker still importing the console would
    die of it with a ``KeyboardInterrupt`` traceback (uvicorn's handler comes later). An
    ignored signal stays ignored across fork and exec (a blocked one does not: the child's
    mask is reset), so SIGINT is ignored while the child is made; it is blocked meanwhile,
    so a Ctrl-C in that moment stays pending (Linux keeps a blocked signal even when it is
    ignored) and reaches the supervisor's handler once that is back.
    """
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


@dataclass
class _Worker:
    process: BaseProcess
    channel: socket.socket  # the supervisor's end
    started: float


class _Supervisor:
    def __init__(self, listener: socket.socket, count: int, access_log: bool) -> None:
        self._listener = listener
        self._count = count
        self._access_log = access_log
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._next = 0
        self._quick_deaths = 0
        self._stopping = False

    def run(self) -> None:
        previous = {
            number: signal.signal(number, self._stop) for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self._workers = [self._start() for _ in range(self._count)]
            self._listener.settimeout(0.5)  # to look after the workers between connections
            while not self._stopping:
                try:
                    connection, _ = self._listener.accept()
                except TimeoutError:
                    self._replace_dead()
                    continue
                except InterruptedError:
                    continue
                with connection:
                    self._hand(connection)
        finally:
            self._listener.close()
            self._stop_workers()
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _hand(self, connection: socket.socket) -> None:
        """To the next worker in turn; one that cannot take it is replaced."""
        for _ in range(len(self._workers) + 1):
            index = self._next % len(self._workers)
            self._next += 1
            try:
                socket.send_fds(self._workers[index].channel, [b"c"], [connection.fileno()])
                return
            except OSError:
                self._replace_dead()
        logger.error("no console worker could take a connection: dropped it")

    def _replace_dead(self) -> None:
        for index, worker in enumerate(self._workers):
            if worker.process.is_alive() or self._stopping:
                continue
            quick = time.monotonic() - worker.started < _QUICK_DEATH_S
            self._quick_deaths = self._quick_deaths + 1 if quick else 0
            if self._quick_deaths >= _QUICK_DEATHS:
                raise PatrolError(
                    "console workers keep exiting at start (last exit code "
                    f"{worker.process.exitcode}): see the messages above"
                )
            logger.warning(
                "console worker %s exited (code %s): starting another",
                worker.process.pid,
                worker.process.exitcode,
            )
            worker.channel.close()
            self._workers[index] = self._start()

    def _start(self) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = self._context.Process(target=_work, args=(theirs, self._access_log))
        with _sigint_ignored_by_the_child():
            process.start()
        theirs.close()
        return _Worker(process=process, channel=ours, started=time.monotonic())

    def _stop(self, number: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.channel.close()  # a worker stops when its channel closes ...
            if worker.process.is_alive():
                worker.process.terminate()  # ... or on SIGTERM, finishing what it serves
        deadline = time.monotonic() + _STOP_GRACE_S
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
