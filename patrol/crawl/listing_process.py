"""Listing pages read in a process of their own, so that the crawl keeps its core.

A patrol's own work per listing — parsing the page, extracting its fields, running it
through the item pipelines (validate, normalise, screen, evidence, store) — took the
crawl's one thread about as long as fetching the page did, so a full patrol crawled at
about half the pages per second of a spider that only fetches. For a plain patrol of a
static site, the spider's ``parse_listing`` instead hands each listing page as it came
(URL, status, headers, body) to one child process (:mod:`patrol.crawl.listing_child`),
which rebuilds the response and runs the *same* spider code on it
(:meth:`MarketplaceSpider.read_listing <spiders.marketplace.MarketplaceSpider.read_listing>`)
and the *same* item pipelines, under the patrol's settings, on the second core.

The protocol (frames of :mod:`patrol.childproc`, over the child's stdin and stdout):

* parent → child: ``("load", settings, spider_class, spider_arguments)``; the child
  builds its spider and pipelines and answers ``("ready", pid)`` or
  ``("failed", kind, message)``. Then ``("open", run_id)``, then ``("pages", seq,
  [page, …])`` frames, then ``("finish",)``.
* child → parent: ``("done", seq, stats, marketplaces)`` right after the store's write
  that committed every page up to frame ``seq`` (``stats``: the counters since the last
  answer, added to the crawl's own; ``marketplaces``: those it has stored listings of,
  for the mark-gone rule), and at the end ``("finished", seq, stats, marketplaces)`` once
  its pipelines are closed.

The parent keeps every page until the child has said it is stored. Should the child die
or stall (no answer within ``answer_timeout`` while pages wait), the pages it had not
answered for are handed back (``on_lost``) to be read in the crawl's process, so no
listing is lost; pages beyond ``max_pending`` while the child is behind are read there
at once. The crawl never waits on the child — except once, at its end
(:meth:`ListingProcess.finish`), which blocks the loop: the crawl is over by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import select
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from patrol.childproc import (
    CLOSE_TIMEOUT,
    FrameDecoder,
    close_pipes,
    encode_frame,
    read_frame,
    reap,
    start_child,
    when_ready,
)
from patrol.crawl.listing_pages import ListingPage, page_of
from patrol.screening.childlog import ChildLogRelay

if TYPE_CHECKING:
    from scrapy.http import HtmlResponse

__all__ = ["ListingProcess", "ListingProcessLost"]

logger = logging.getLogger(__name__)

_CHILD_LOGGER = "patrol.crawl.listing_child"  # what the child logs is logged again under it
_FRAME_PAGES = 16  # pages in one frame: one pickle and two system calls for all of them
_FRAME_WINDOW = 0.05  # how long a page waits for others to travel with
_PIPE_SIZE = 1 << 20  # the child's stdin holds a few frames while it reads the one before
_START_TIMEOUT = 300.0  # it loads the rulebook and the registry snapshot
_ANSWER_TIMEOUT = 120.0  # no answer this long while pages wait: a stalled child
_MAX_PENDING = 5000  # pages not yet stored over there; beyond, read in the crawl's process


class ListingProcessLost(RuntimeError):
    """The listing process could not start, or stopped answering."""


@dataclass
class _Frame:
    seq: int
    pages: list[ListingPage]


class ListingProcess:
    """The parent's side: :meth:`take` pages, :meth:`finish` at the end.

    ``on_report(stats, marketplaces)`` takes in what the child counted since its last
    answer, and which marketplaces it has stored listings of; ``on_lost(pages)`` gets the
    pages the child will not store, once, when it is lost. A page :meth:`take` refuses
    (the child is lost, finished, or ``max_pending`` pages behind) is the caller's to
    read.
    """

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        loop: asyncio.AbstractEventLoop,
        log_relay: ChildLogRelay,
        *,
        on_report: Callable[[dict[str, Any], set[str]], None],
        on_lost: Callable[[list[ListingPage]], None],
        answer_timeout: float = _ANSWER_TIMEOUT,
        max_pending: int = _MAX_PENDING,
    ) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        self._proc = proc
        self._loop = loop
        self._log_relay = log_relay
        self._on_report = on_report
        self._on_lost = on_lost
        self._answer_timeout = answer_timeout
        self._max_pending = max_pending
        self._in = proc.stdin.fileno()
        self._out = proc.stdout.fileno()
        self._frames = FrameDecoder()
        self._outgoing = bytearray()
        self._collecting: list[ListingPage] = []
        self._unanswered: deque[_Frame] = deque()
        self._pending = 0  # pages sent or collecting, not yet stored over there
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_answer = time.monotonic()
        self._watchdog: asyncio.TimerHandle | None = None
        self._writing = False
        self.lost: str | None = None
        self.finished = False  # told to finish: no more pages taken
        self._done = False  # its last answer has come
        with contextlib.suppress(OSError, AttributeError):  # Linux only; a bigger pipe
            fcntl.fcntl(self._in, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        loop.add_reader(self._out, self._on_readable)

    @classmethod
    def start(
        cls,
        load: tuple[dict[str, Any], str, dict[str, Any]],
        *,
        on_report: Callable[[dict[str, Any], set[str]], None],
        on_lost: Callable[[list[ListingPage]], None],
        start_timeout: float = _START_TIMEOUT,
        answer_timeout: float = _ANSWER_TIMEOUT,
        max_pending: int = _MAX_PENDING,
    ) -> asyncio.Task[ListingProcess]:
        """Start the child now with ``load`` = (settings, spider class, spider arguments);
        the task ends once it has built its pipelines (:class:`ListingProcessLost` if it
        could not, or died). This raises ``OSError`` if it cannot be started; cancelled,
        the task kills the child. Needs a running loop."""
        loop = asyncio.get_running_loop()
        try:
            proc, log_relay = start_child(
                "patrol.crawl.listing_child", ("load", *load), logging.getLogger(_CHILD_LOGGER)
            )
        except BrokenPipeError as exc:  # it died at once
            raise ListingProcessLost(f"listing process could not start: {exc}") from exc

        def handshake() -> None:
            assert proc.stdout is not None
            try:
                answer = read_frame(proc.stdout, start_timeout)
            except Exception as exc:  # a dead pipe, no answer in time, not a frame of ours
                raise ListingProcessLost(f"listing process did not start: {exc}") from exc
            if answer is None:
                raise ListingProcessLost("listing process exited before it was ready")
            if answer[0] != "ready":
                raise ListingProcessLost(f"listing process could not start: {answer[2]}")

        return when_ready(
            proc,
            log_relay,
            handshake,
            lambda _: cls(
                proc,
                loop,
                log_relay,
                on_report=on_report,
                on_lost=on_lost,
                answer_timeout=answer_timeout,
                max_pending=max_pending,
            ),
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def open(self, run_id: int | None) -> None:
        """Tell the child which patrol run its listings belong to."""
        self._send(("open", run_id))

    def take(self, response: HtmlResponse, fetched_at: datetime) -> bool:
        if self.lost is not None or self.finished or self._pending >= self._max_pending:
            return False
        self._collecting.append(page_of(response, fetched_at))
        self._pending += 1
        if len(self._collecting) >= _FRAME_PAGES:
            self._send_collected()
        elif self._timer is None:
            self._timer = self._loop.call_later(_FRAME_WINDOW, self._send_collected)
        return True

    def finish(self, timeout: float | None = None) -> None:
        """Send what is left, let the child close its pipelines, and wait (blocking) for
        its last answer; then close it. The crawl is over by then (its spider is idle or
        closing), so nothing else needs the loop meanwhile. A child that does not answer
        within ``timeout`` seconds of its last answer is lost (see :meth:`take`)."""
        if self.finished or self.lost is not None:
            return
        self.finished = True
        self._send_collected()
        self._send(("finish",))
        limit = self._answer_timeout if timeout is None else timeout
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._out)
        if self._writing:
            self._loop.remove_writer(self._in)
            self._writing = False
        self._stop_watching()
        last = time.monotonic()
        relay = self._log_relay.fileno()
        while not self._done and self.lost is None:
            readers = [self._out] + ([relay] if relay is not None else [])
            writers = [self._in] if self._outgoing else []
            left = limit - (time.monotonic() - last)
            if left <= 0:
                self._lose(f"listing process gave no answer in {limit:g} s", kill=True)
                break
            readable, writable, _ = select.select(readers, writers, [], left)
            if writable:
                self._flush_outgoing()
            if relay is not None and relay in readable:
                self._log_relay.pump()
                relay = self._log_relay.fileno()
            if self._out in readable:
                last = time.monotonic()
                self._read_answers()
        self._close()

    # -- sending ------------------------------------------------------------------------

    def _send_collected(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._collecting or self.lost is not None:
            return
        self._seq += 1
        frame = _Frame(self._seq, self._collecting)
        self._collecting = []
        self._unanswered.append(frame)
        if self._watchdog is None:
            self._last_answer = time.monotonic()
            self._watch()
        self._send(("pages", frame.seq, frame.pages))

    def _send(self, message: Any) -> None:
        if self.lost is not None:
            return
        self._outgoing += encode_frame(message)
        self._flush_outgoing()

    def _flush_outgoing(self) -> None:
        """Write what the pipe takes now; the loop writes the rest when it has room."""
        try:
            while self._outgoing:
                written = os.write(self._in, self._outgoing)
                del self._outgoing[:written]
        except BlockingIOError:
            pass
        except OSError as exc:
            self._lose(f"listing process pipe broke: {exc}", kill=True)
            return
        if self.finished:
            return  # finish() selects on the pipe itself
        if self._outgoing and not self._writing:
            self._loop.add_writer(self._in, self._flush_outgoing)
            self._writing = True
        elif not self._outgoing and self._writing:
            self._loop.remove_writer(self._in)
            self._writing = False

    # -- answers ------------------------------------------------------------------------

    def _on_readable(self) -> None:
        self._read_answers()

    def _read_answers(self) -> bool:
        """Take in what the child said; False once it is gone."""
        try:
            chunk = os.read(self._out, 1 << 20)
        except BlockingIOError:
            return True
        except OSError as exc:
            self._lose(f"listing process pipe broke: {exc}", kill=True)
            return False
        if not chunk:
            status = self._proc.poll()
            if not self._done:
                self._lose(f"listing process exited (status {status})", kill=False)
            return False
        try:
            for message in self._frames.feed(chunk):
                self._answer(message)
        except Exception as exc:  # cannot happen with our own child; never hang on it
            self._lose(f"listing process sent what cannot be read: {exc!r}", kill=True)
            return False
        return True

    def _answer(self, message: tuple[Any, ...]) -> None:
        kind, seq, stats, marketplaces = message
        if kind not in ("done", "finished"):
            raise ValueError(f"not an answer of ours: {kind!r}")
        while self._unanswered and self._unanswered[0].seq <= seq:
            self._pending -= len(self._unanswered.popleft().pages)
        self._last_answer = time.monotonic()
        self._done = kind == "finished"
        self._on_report(stats, set(marketplaces))

    # -- losing it ----------------------------------------------------------------------

    def _watch(self) -> None:
        self._watchdog = self._loop.call_later(self._answer_timeout / 4, self._check_stall)

    def _stop_watching(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _check_stall(self) -> None:
        self._watchdog = None
        if not self._unanswered or self.lost is not None:
            return
        if time.monotonic() - self._last_answer >= self._answer_timeout:
            self._lose(f"listing process gave no answer in {self._answer_timeout:g} s", kill=True)
            return
        self._watch()

    def _lose(self, reason: str, *, kill: bool) -> None:
        """Give up on the child: what it has not stored goes back to ``on_lost``."""
        if self.lost is not None:
            return
        self.lost = reason
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stop_watching()
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._out)
        if self._writing:
            with contextlib.suppress(Exception):
                self._loop.remove_writer(self._in)
            self._writing = False
        if kill:
            with contextlib.suppress(OSError):
                self._proc.kill()
        self._close()  # reaped, its last words relayed
        pages = [page for frame in self._unanswered for page in frame.pages]
        pages += self._collecting
        self._unanswered.clear()
        self._collecting = []
        self._pending = 0
        self._outgoing.clear()
        logger.error("%s; %d listing pages read in the crawl's process", reason, len(pages))
        if pages:
            self._on_lost(pages)

    def _close(self) -> None:
        close_pipes(self._proc)
        reap(self._proc, timeout=CLOSE_TIMEOUT)
        self._log_relay.close()  # after the child's exit: its last words are relayed
