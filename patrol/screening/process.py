"""Screening in a child process, so that a patrol's crawl keeps a core to itself.

A patrol is CPU-bound in one Python thread: the crawl, its pipelines and the store's
thread take turns on one core under the GIL. Screening is the largest share of a
listing's time in the pipelines and it is pure — a listing in, a verdict out, against a
rulebook fixed for the whole patrol. So the screen pipeline can run the rulebook in one
child process (:func:`serve`), which reads the rules and the registry snapshot itself (a
compiled rulebook does not pickle) and answers batches of listings with their verdicts.

The protocol, over the child's stdin and stdout: frames of an 8-byte big-endian length
and a pickle. The parent's first frame is ``("load", rules, database_url)`` (on a pipe,
not in argv, where a database password would show in ``ps``); the child answers
``("ready", RulebookInfo)`` or ``("failed", kind, message)``. After that every frame the
parent sends is a list of pickled listings (each pickled on its own, when it arrives, so
one that cannot be pickled fails alone) and every frame the child sends back is the list
of their verdicts, in order. One batch is in flight at a time: listings that arrive while
it is away wait for the next, so the child is always reading when it is sent something
(the write does not wait on its screening) and the answers are read without blocking,
from the event loop. A batch not answered within ``answer_timeout`` seconds means a
stalled child: it is killed, and what waited for it fails with
:class:`ScreeningProcessLost` for the caller to screen by itself.

The child is in a process group of its own: a scheduler's SIGTERM to the patrol's group,
or Ctrl-C in a terminal, reaches the patrol, which closes the child (the child leaves when
its stdin closes — also when the patrol dies). What the child logs (an engine error on an
odd listing; the verdict also says so) is relayed into the patrol's own log
(:mod:`patrol.screening.childlog`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import operator
import os
import pickle
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from patrol.childproc import (
    CLOSE_TIMEOUT,
    FrameDecoder,
    close_pipes,
    read_frame,
    reap,
    start_child,
    stop_child,
    when_ready,
    write_frame,
)
from patrol.errors import PatrolError
from patrol.items import Listing
from patrol.registry.records import RegistrySnapshot
from patrol.screening.childlog import ChildLogRelay, child_log_handler
from patrol.screening.childlog import logger as child_logger

if TYPE_CHECKING:
    from patrol.screening.rulebook import Rulebook
    from patrol.screening.verdict import Verdict

__all__ = [
    "ListingNotPicklable",
    "RulebookInfo",
    "ScreeningProcess",
    "ScreeningProcessLost",
    "load_registry",
    "load_screening",
    "serve",
]

logger = logging.getLogger(__name__)

_MAX_BATCH = 64  # listings in one frame: some 100 kB at most
# How long a listing waits for others to travel with. A crawl yields a listing every few
# milliseconds; sent one by one, each paid for a pickle, two system calls and a wake-up of
# the loop on either side, as much as screening it here. A listing is not held up for
# longer than a page takes to download, and the crawl does not wait for it meanwhile.
_BATCH_WINDOW = 0.02
_EXIT_POLL = 0.01  # how often aclose() looks whether the child has exited
_START_TIMEOUT = 300.0  # a registry of millions of records takes a while to load
_ANSWER_TIMEOUT = 120.0  # a batch takes milliseconds: this long means a stalled child


class ScreeningProcessLost(RuntimeError):
    """The child process stopped answering (it exited, stalled, or its pipe broke)."""


class ListingNotPicklable(TypeError):
    """A listing whose fields cannot travel to the child (the child goes on with others)."""


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
    listings: list[bytes] = field(default_factory=list)  # each listing's fields, pickled
    answers: list[asyncio.Future[Verdict]] = field(default_factory=list)


_LISTING_FIELDS = tuple(
    f.name for f in dataclasses.fields(Listing) if f.name not in ("capture", "verdict")
)
if [f.name for f in dataclasses.fields(Listing)][-2:] != ["capture", "verdict"]:
    raise ImportError("Listing(*fields) needs capture and verdict as its last fields")
_listing_fields = operator.attrgetter(*_LISTING_FIELDS)  # ``Listing(*fields)`` again


class ScreeningProcess:
    """The parent's side: :meth:`screen` a listing in the child, from the event loop.

    :meth:`start` (or :meth:`launch`) it in a running loop (it is ready once the child
    has loaded the rulebook) and :meth:`close` it at the end. Once the child is gone (it
    died or stalled, or was closed) every listing still waiting for it, and every later
    one, gets :class:`ScreeningProcessLost`; the caller screens those itself.
    """

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        loop: asyncio.AbstractEventLoop,
        info: RulebookInfo,
        answer_timeout: float = _ANSWER_TIMEOUT,
        log_relay: ChildLogRelay | None = None,
    ) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        self.info = info
        self._proc = proc
        self._log_relay = log_relay
        self._loop = loop
        self._answer_timeout = answer_timeout
        self._stdin: IO[bytes] = proc.stdin
        self._fd = proc.stdout.fileno()
        self._frames = FrameDecoder()
        self._waiting = _Batch()
        self._in_flight: _Batch | None = None
        self._timer: asyncio.TimerHandle | None = None  # sends the waiting batch
        self._watchdog: asyncio.TimerHandle | None = None  # gives up on the one in flight
        self._lost: str | None = None
        os.set_blocking(self._fd, False)
        loop.add_reader(self._fd, self._on_readable)

    @classmethod
    async def launch(
        cls,
        rules: Path | None,
        database_url: str | None,
        *,
        start_timeout: float = _START_TIMEOUT,
        answer_timeout: float = _ANSWER_TIMEOUT,
    ) -> ScreeningProcess:
        """Start the child; return once it has loaded the rulebook (see :meth:`start`)."""
        return await cls.start(
            rules, database_url, start_timeout=start_timeout, answer_timeout=answer_timeout
        )

    @classmethod
    def start(
        cls,
        rules: Path | None,
        database_url: str | None,
        *,
        start_timeout: float = _START_TIMEOUT,
        answer_timeout: float = _ANSWER_TIMEOUT,
    ) -> asyncio.Task[ScreeningProcess]:
        """Start the child now and tell it what to load; the task ends once it has.

        The child begins at once, before this returns, so that it loads its rulebook
        while the caller goes on (the screen pipeline loads its own copy meanwhile). The
        task raises :class:`~patrol.screening.loader.RulebookError` (or another
        :class:`PatrolError`) for what the child could not load and
        :class:`ScreeningProcessLost` if it dies or says nothing in time; this raises
        ``OSError`` if it cannot be started (:class:`ScreeningProcessLost` if it dies at
        once). Cancelled, even before it ran, the task kills the child. Needs a running
        loop.
        """
        loop = asyncio.get_running_loop()
        load = ("load", None if rules is None else str(rules), database_url)
        try:
            proc, log_relay = start_child("patrol.screening.process", load, child_logger)
        except BrokenPipeError as exc:  # it died at once
            raise ScreeningProcessLost(f"screening process could not start: {exc}") from exc
        return when_ready(
            proc,
            log_relay,
            functools.partial(_handshake, proc, start_timeout),
            lambda info: cls(proc, loop, info, answer_timeout, log_relay),
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    async def screen(self, listing: Listing) -> Verdict:
        """The listing's verdict, as :func:`patrol.screening.screen` gives it.

        Raises :class:`ScreeningProcessLost` once the child is gone, and
        :class:`ListingNotPicklable` for a listing whose fields do not pickle.
        """
        if self._lost is not None:
            raise ScreeningProcessLost(self._lost)
        try:  # the fields only, as a plain tuple: the page and its capture stay here
            fields = pickle.dumps(_listing_fields(listing), pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ListingNotPicklable(f"{listing.url}: {exc}") from exc
        answer: asyncio.Future[Verdict] = self._loop.create_future()
        self._waiting.listings.append(fields)
        self._waiting.answers.append(answer)
        if len(self._waiting.listings) >= _MAX_BATCH:
            self._send_waiting()
        elif self._timer is None and self._in_flight is None:
            self._timer = self._loop.call_later(_BATCH_WINDOW, self._send_waiting)
        return await answer

    def close(self) -> None:
        """Close the child's stdin (it leaves) and reap it; kill it if it lingers.

        Listings still waiting (there are none once a crawl has drained its items) get
        :class:`ScreeningProcessLost`, as from a child that died. This waits for the
        child's exit in the caller's thread, with nobody reading its stderr meanwhile:
        in a running loop, :meth:`aclose` is the one to call.
        """
        self._give_up("screening process closed")
        stop_child(self._proc)
        if self._log_relay is not None:
            self._log_relay.close()  # after the child's exit: its last words are relayed

    async def aclose(self) -> None:
        """:meth:`close`, with the loop running while the child exits.

        The child's stderr is relayed meanwhile: a child with more to say on its way out
        than a pipe holds (64 kB) would otherwise wait to write it until the timeout
        killed it, its last records lost, and the whole crawl would wait with it.
        """
        self._give_up("screening process closed")
        close_pipes(self._proc)
        deadline = self._loop.time() + CLOSE_TIMEOUT
        while self._proc.poll() is None and self._loop.time() < deadline:
            await asyncio.sleep(_EXIT_POLL)
        reap(self._proc)  # at once, unless it is still there: then it is killed
        if self._log_relay is not None:
            self._log_relay.close()

    def _send_waiting(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._in_flight is not None or not self._waiting.listings or self._lost is not None:
            return
        batch = _Batch(self._waiting.listings[:_MAX_BATCH], self._waiting.answers[:_MAX_BATCH])
        del self._waiting.listings[:_MAX_BATCH], self._waiting.answers[:_MAX_BATCH]
        self._in_flight = batch
        self._watchdog = self._loop.call_later(self._answer_timeout, self._stalled)
        try:
            write_frame(self._stdin, batch.listings)
        except OSError as exc:
            self._give_up(f"screening process pipe broke: {exc}")

    def _stalled(self) -> None:
        self._watchdog = None
        self._give_up(f"screening process gave no answer in {self._answer_timeout:g} s")
        with contextlib.suppress(OSError):
            self._proc.kill()

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._fd, 1 << 20)
        except BlockingIOError:
            return
        except OSError as exc:
            self._give_up(f"screening process pipe broke: {exc}")
            return
        if not chunk:
            try:
                status: int | None = self._proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                status = None
            self._give_up(f"screening process exited (status {status})")
            return
        try:
            messages = self._frames.feed(chunk)
        except Exception as exc:  # cannot happen with our own child; never hang on it
            self._give_up(f"screening process sent what cannot be read: {exc!r}")
            return
        for verdicts in messages:
            if self._lost is not None:
                return
            try:
                self._take(verdicts)
            except Exception as exc:
                self._give_up(f"screening process sent what cannot be read: {exc!r}")
                return

    def _take(self, verdicts: list[Verdict]) -> None:
        batch = self._in_flight
        if batch is None or len(verdicts) != len(batch.answers):
            raise ValueError(
                f"{len(verdicts)} verdicts for a batch of {batch and len(batch.answers)}"
            )
        self._in_flight = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for answer, verdict in zip(batch.answers, verdicts, strict=True):
            if not answer.done():
                answer.set_result(verdict)
        self._send_waiting()

    def _give_up(self, reason: str) -> None:
        """Fail whatever is waiting for the child; stop reading from it."""
        if self._lost is not None:
            return
        self._lost = reason
        for timer in (self._timer, self._watchdog):
            if timer is not None:
                timer.cancel()
        self._timer = self._watchdog = None
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._fd)
        for batch in (self._in_flight, self._waiting):
            if batch is None:
                continue
            for answer in batch.answers:
                if not answer.done():
                    answer.set_exception(ScreeningProcessLost(reason))
        self._in_flight, self._waiting = None, _Batch()


def _handshake(proc: subprocess.Popen[bytes], timeout: float) -> RulebookInfo:
    """Wait (blocking) for what the child says once it has loaded what it was told to."""
    assert proc.stdout is not None
    answer: Any
    try:
        answer = read_frame(proc.stdout, timeout)
    except Exception as exc:  # a dead pipe, no answer in time, or not a frame of ours
        answer = ("failed", "lost", f"{type(exc).__name__}: {exc}")
    if answer is None:
        answer = ("failed", "lost", "it exited before it was ready")
    if answer[0] != "ready":
        raise _startup_error(answer[1], answer[2])
    info: RulebookInfo = answer[1]
    return info


def _startup_error(kind: str, text: str) -> Exception:
    from patrol.screening.loader import RulebookError

    if kind == "rules":
        return RulebookError(text)
    if kind == "patrol":
        return PatrolError(text)
    return ScreeningProcessLost(f"screening process could not start: {text}")


# --- the child's side --------------------------------------------------------------------


def serve() -> None:
    """Load the rulebook the parent names, then screen what it sends until it hangs up."""
    from patrol.screening.engine import screen
    from patrol.screening.loader import RulebookError

    # the protocol gets a private copy of stdout; anything printed goes to stderr instead
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    questions = sys.stdin.buffer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the patrol's to handle; it closes us
    root = logging.getLogger()
    root.addHandler(child_log_handler(sys.stderr))  # one JSON line a record, for the parent
    root.setLevel(logging.WARNING)
    request = read_frame(questions)
    if request is None:
        return
    _, rules, database_url = request
    try:
        rulebook, info = load_screening(None if rules is None else Path(rules), database_url)
    except RulebookError as exc:
        write_frame(answers, ("failed", "rules", exc.message))
        return
    except PatrolError as exc:
        write_frame(answers, ("failed", "patrol", exc.message))
        return
    except Exception as exc:  # a bug: say what it was, the parent screens by itself
        logger.exception("could not load the rulebook")
        write_frame(answers, ("failed", "error", f"{type(exc).__name__}: {exc}"))
        return
    write_frame(answers, ("ready", info))
    with contextlib.suppress(BrokenPipeError):  # the parent went away mid-answer
        while (batch := read_frame(questions)) is not None:
            listings = [Listing(*pickle.loads(fields)) for fields in batch]
            write_frame(answers, [screen(listing, rulebook) for listing in listings])
    # nothing is left to write, and tearing down a compiled rulebook object by object
    # took the interpreter half a second that the patrol would spend waiting in close()
    os._exit(0)
