"""Screening in a child process, so that a patrol's crawl keeps a core to itself.

A patrol is CPU-bound in one Python thread: the crawl, its pipelines and the store's
thread take turns on one core under the GIL. Screening is the largest share of a
listing's time in the pipelines (about 1.5 ms, more than all the rest of the patrol's
own work on it) and it is pure — a listing in, a verdict out, against a rulebook fixed
for the whole patrol. So the screen pipeline can run the rulebook in one child process
(:func:`serve`), which reads the rules and the registry snapshot
itself (a compiled rulebook does not pickle) and answers batches of listings with their
verdicts.

The protocol, over the child's stdin and stdout: frames of an 8-byte big-endian length
and a pickle. The parent's first frame is ``("load", rules, database_url)`` (on a pipe,
not in argv, where a database password would show in ``ps``); the child answers
``("ready", RulebookInfo)`` or ``("failed", kind, message)``. After that every frame the
parent sends is a list of listings and every frame the child sends back is the list of
their verdicts, in order. One batch is in flight at a time: listings that arrive while
it is away wait for the next, so the child is always reading when it is sent something
and the crawl's thread never waits on it; the answers are read without blocking, from
the event loop. The child leaves when its stdin closes: when the patrol closes it, or
when the patrol dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import operator
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from patrol.errors import PatrolError
from patrol.items import Listing
from patrol.registry.records import RegistrySnapshot

if TYPE_CHECKING:
    from patrol.screening.rulebook import Rulebook
    from patrol.screening.verdict import Verdict

__all__ = [
    "RulebookInfo",
    "ScreeningProcess",
    "ScreeningProcessLost",
    "load_registry",
    "load_screening",
    "serve",
]

logger = logging.getLogger(__name__)

_HEADER = struct.Struct(">Q")
_MAX_BATCH = 64  # listings in one frame: some 100 kB at most
# How long a listing waits for others to travel with. A crawl yields a listing every few
# milliseconds; sent one by one, each paid for a pickle, two system calls and a wake-up of
# the loop on either side, as much as screening it here. A listing is not held up for
# longer than a page takes to download, and the crawl does not wait for it meanwhile.
_BATCH_WINDOW = 0.02
_CLOSE_TIMEOUT = 5.0
_START_TIMEOUT = 300.0  # a registry of millions of records takes a while to load


class ScreeningProcessLost(RuntimeError):
    """The child process stopped answering (it exited, or its pipe broke)."""


@dataclass(frozen=True)
class RulebookInfo:
    """What a loaded rulebook is, for the patrol's log; and what loading it warned of."""

    version: str
    threshold: float
    trademarks: int
    patents: int
    repeat_offenders: int
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        return (
            f"rulebook {self.version} loaded (threshold {self.threshold}; {self.trademarks}"
            f" trademarks, {self.patents} patents, {self.repeat_offenders} repeat offenders)"
        )


def load_registry(database_url: str | None) -> tuple[RegistrySnapshot, tuple[str, ...]]:
    """The registry snapshot screening reads (empty when there is no database), and why not."""
    from patrol.db import open_database, registry_snapshot

    try:
        database = open_database(database_url)
    except PatrolError as exc:
        return RegistrySnapshot(), (f"screening without registries: {exc.message}",)
    try:
        with database.read_sessions() as session:
            return registry_snapshot(session), ()
    finally:
        database.dispose()


def load_screening(rules: Path | None, database_url: str | None) -> tuple[Rulebook, RulebookInfo]:
    """The patrol's rulebook, compiled with what the database knows, and its description."""
    from patrol.screening.rulebook import load_rulebook

    registry, warnings = load_registry(database_url)
    rulebook = load_rulebook(rules, registry=registry)
    info = RulebookInfo(
        version=rulebook.version,
        threshold=rulebook.threshold,
        trademarks=len(registry.trademarks),
        patents=len(registry.patents),
        repeat_offenders=len(registry.repeat_offenders),
        warnings=warnings,
    )
    return rulebook, info


@dataclass
class _Batch:
    listings: list[Listing] = field(default_factory=list)
    answers: list[asyncio.Future[Verdict]] = field(default_factory=list)


_LISTING_FIELDS = tuple(
    f.name for f in dataclasses.fields(Listing) if f.name not in ("capture", "verdict")
)
_listing_fields = operator.attrgetter(*_LISTING_FIELDS)  # ``Listing(*fields)`` again
assert [f.name for f in dataclasses.fields(Listing)][-2:] == ["capture", "verdict"]


class ScreeningProcess:
    """The parent's side: :meth:`screen` a listing in the child, from the event loop.

    :meth:`start` it in a running loop — it returns once the child has loaded the rulebook,
    so a broken rulebook stops the patrol before it begins, as it would without a child —
    and :meth:`close` it at the end. If the child goes away, every listing waiting for it,
    and every later one, gets :class:`ScreeningProcessLost`; the caller screens those itself.
    """

    def __init__(
        self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop, info: RulebookInfo
    ) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        self.info = info
        self._proc = proc
        self._loop = loop
        self._stdin: IO[bytes] = proc.stdin
        self._fd = proc.stdout.fileno()
        self._received = bytearray()
        self._waiting = _Batch()
        self._in_flight: _Batch | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._lost: str | None = None
        os.set_blocking(self._fd, False)
        loop.add_reader(self._fd, self._on_readable)

    @classmethod
    def start(
        cls, rules: Path | None, database_url: str | None, timeout: float = _START_TIMEOUT
    ) -> ScreeningProcess:
        """Start the child and wait until it has loaded the rulebook.

        Raises :class:`~patrol.screening.loader.RulebookError` (or another
        :class:`PatrolError`) for what the child could not load, ``OSError`` if it cannot
        be started and :class:`ScreeningProcessLost` if it dies or says nothing in time.
        """
        loop = asyncio.get_running_loop()
        proc = subprocess.Popen(
            # imported, not run as __main__: what it pickles must name this module
            [sys.executable, "-c", "from patrol.screening.process import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        answer: Any
        try:
            _write_frame(proc.stdin, ("load", None if rules is None else str(rules), database_url))
            answer = _read_frame(proc.stdout, timeout)
        except (OSError, TimeoutError) as exc:
            answer = ("failed", "lost", str(exc) or type(exc).__name__)
        if answer is None:
            answer = ("failed", "lost", f"it exited (status {proc.poll()})")
        if answer[0] != "ready":
            _stop(proc)
            raise _startup_error(answer[1], answer[2])
        return cls(proc, loop, answer[1])

    @property
    def pid(self) -> int:
        return self._proc.pid

    async def screen(self, listing: Listing) -> Verdict:
        """The listing's verdict, as :func:`patrol.screening.screen` gives it."""
        if self._lost is not None:
            raise ScreeningProcessLost(self._lost)
        answer: asyncio.Future[Verdict] = self._loop.create_future()
        self._waiting.listings.append(listing)
        self._waiting.answers.append(answer)
        if len(self._waiting.listings) >= _MAX_BATCH:
            self._send_waiting()
        elif self._timer is None and self._in_flight is None:
            self._timer = self._loop.call_later(_BATCH_WINDOW, self._send_waiting)
        return await answer

    def close(self) -> None:
        """Close the child's stdin (it leaves) and reap it; kill it if it lingers."""
        self._give_up("screening process closed")
        _stop(self._proc)

    def _send_waiting(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._in_flight is not None or not self._waiting.listings:
            return
        if self._lost is not None:
            return
        batch = _Batch(self._waiting.listings[:_MAX_BATCH], self._waiting.answers[:_MAX_BATCH])
        del self._waiting.listings[:_MAX_BATCH], self._waiting.answers[:_MAX_BATCH]
        self._in_flight = batch
        # the fields only, as plain tuples: the page and its capture stay here
        payload = pickle.dumps(
            [_listing_fields(listing) for listing in batch.listings], pickle.HIGHEST_PROTOCOL
        )
        try:
            self._write_bytes(payload)
        except OSError as exc:
            self._give_up(f"screening process pipe broke: {exc}")

    def _write_bytes(self, payload: bytes) -> None:
        self._stdin.write(_HEADER.pack(len(payload)) + payload)
        self._stdin.flush()

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._fd, 1 << 20)
        except BlockingIOError:
            return
        except OSError as exc:
            self._give_up(f"screening process pipe broke: {exc}")
            return
        if not chunk:
            self._give_up(f"screening process exited (status {self._proc.poll()})")
            return
        self._received += chunk
        while len(self._received) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._received)
            end = _HEADER.size + size
            if len(self._received) < end:
                break
            try:
                message = pickle.loads(self._received[_HEADER.size : end])
            except Exception as exc:  # cannot happen with our own child; never hang on it
                self._give_up(f"screening process sent what cannot be read: {exc!r}")
                return
            del self._received[:end]
            self._take(message)

    def _take(self, message: Any) -> None:
        batch, self._in_flight = self._in_flight, None
        if batch is None:
            return
        for answer, verdict in zip(batch.answers, message, strict=True):
            if not answer.done():
                answer.set_result(verdict)
        self._send_waiting()

    def _give_up(self, reason: str) -> None:
        """Fail whatever is waiting for the child; stop reading from it."""
        if self._lost is not None:
            return
        self._lost = reason
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._fd)
        for batch in (self._in_flight, self._waiting):
            if batch is None:
                continue
            for answer in batch.answers:
                if not answer.done():
                    answer.set_exception(ScreeningProcessLost(reason))
        self._in_flight, self._waiting = None, _Batch()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Close the child's stdin (it leaves when it reads the end) and reap it."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(timeout=_CLOSE_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _startup_error(kind: str, text: str) -> Exception:
    from patrol.screening.loader import RulebookError

    if kind == "rules":
        return RulebookError(text)
    if kind == "patrol":
        return PatrolError(text)
    return ScreeningProcessLost(f"screening process could not start: {text}")


# --- the child's side ------------------------------------------------------------------


def _read_frame(stream: IO[bytes], timeout: float | None = None) -> Any | None:
    """The next frame, or None at the end of the stream; ``TimeoutError`` after ``timeout``
    seconds without one beginning."""
    if timeout is not None and not select.select([stream], [], [], timeout)[0]:
        raise TimeoutError(f"no answer in {timeout:g} s")
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None  # the parent closed our stdin (or died): time to go
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


def _write_frame(stream: IO[bytes], message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def serve() -> None:
    """Load the rulebook the parent names, then screen what it sends until it hangs up."""
    from patrol.items import Listing
    from patrol.screening.engine import screen
    from patrol.screening.loader import RulebookError

    # the protocol gets a private copy of stdout; anything printed goes to stderr instead
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    questions = sys.stdin.buffer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the patrol's; it closes us
    logging.basicConfig(level=logging.WARNING, format="screening process: %(message)s")
    request = _read_frame(questions)
    if request is None:
        return
    _, rules, database_url = request
    try:
        rulebook, info = load_screening(None if rules is None else Path(rules), database_url)
    except RulebookError as exc:
        _write_frame(answers, ("failed", "rules", exc.message))
        return
    except PatrolError as exc:
        _write_frame(answers, ("failed", "patrol", exc.message))
        return
    except Exception as exc:  # a bug: say what it was, the parent screens by itself
        logger.exception("could not load the rulebook")
        _write_frame(answers, ("failed", "error", f"{type(exc).__name__}: {exc}"))
        return
    _write_frame(answers, ("ready", info))
    with contextlib.suppress(BrokenPipeError):  # the parent went away mid-answer
        while (batch := _read_frame(questions)) is not None:
            _write_frame(answers, [screen(Listing(*fields), rulebook) for fields in batch])
    # nothing is left to write, and tearing down a compiled rulebook object by object
    # took the interpreter half a second that the patrol would spend waiting in close()
    os._exit(0)
