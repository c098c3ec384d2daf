"""Frames and life cycle of the patrol's helper processes.

A patrol hands CPU-bound work to a child interpreter (screening,
:mod:`patrol.screening.process`; whole listing pages, :mod:`patrol.crawl.listing_process`)
so that the crawl keeps a core to itself. Both talk to their child the same way, over its
stdin and stdout: frames of an 8-byte big-endian length and a pickle. Both start the
child in a process group of its own (a scheduler's SIGTERM or Ctrl-C is the patrol's to
handle; it closes the child, which leaves when its stdin closes — also when the patrol
dies), and both stop it the same way. What is shared lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
from collections.abc import Callable
from typing import IO, Any, TypeVar

from patrol.screening.childlog import ChildLogRelay

_T = TypeVar("_T")
_R = TypeVar("_R")

__all__ = [
    "CLOSE_TIMEOUT",
    "FrameDecoder",
    "close_pipes",
    "encode_frame",
    "loop_running",
    "read_frame",
    "reap",
    "start_child",
    "stop_child",
    "usable_cores",
    "when_ready",
    "write_frame",
]

_HEADER = struct.Struct(">Q")
_MAX_FRAME = 1 << 30  # a length beyond this is not a frame of ours
CLOSE_TIMEOUT = 5.0  # how long a closed child may take to leave before it is killed


def encode_frame(message: Any) -> bytes:
    """``message`` as one frame: its length, then its pickle."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def write_frame(stream: IO[bytes], message: Any) -> None:
    stream.write(encode_frame(message))
    stream.flush()


def read_frame(stream: IO[bytes], timeout: float | None = None) -> Any | None:
    """The next frame (blocking), or None at the end of the stream; ``TimeoutError`` if
    none has begun after ``timeout`` seconds."""
    if timeout is not None and not select.select([stream], [], [], timeout)[0]:
        raise TimeoutError(f"no answer in {timeout:g} s")
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None  # the other side closed the pipe (or died)
    (size,) = _HEADER.unpack(header)
    if size > _MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes is not one of ours")
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


class FrameDecoder:
    """Frames out of bytes as they arrive (a non-blocking reader's side)."""

    def __init__(self) -> None:
        self._received = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        """The messages ``chunk`` completes, in order; ``ValueError`` for what is not a
        frame of ours (and whatever unpickling raises)."""
        self._received += chunk
        messages: list[Any] = []
        while len(self._received) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._received)
            if size > _MAX_FRAME:
                raise ValueError(f"a frame of {size} bytes is not one of ours")
            end = _HEADER.size + size
            if len(self._received) < end:
                break
            messages.append(pickle.loads(self._received[_HEADER.size : end]))
            del self._received[:end]
        return messages


def stop_child(proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """Close the child's pipes (it leaves when it reads the end of stdin) and reap it."""
    close_pipes(proc)
    if kill:
        with contextlib.suppress(OSError):
            proc.kill()
    reap(proc, timeout=CLOSE_TIMEOUT)


def close_pipes(proc: subprocess.Popen[bytes]) -> None:
    """Close stdin and stdout (stderr is the log relay's to close, once the child is gone)."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def reap(proc: subprocess.Popen[bytes], timeout: float = 0.0) -> None:
    """Wait up to ``timeout`` seconds for the child's exit, then kill it and wait."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()


def usable_cores() -> int:
    """The cores this process may run on: a helper process is worth it with two or more."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def start_child(
    module: str, first: Any, relay_to: logging.Logger
) -> tuple[subprocess.Popen[bytes], ChildLogRelay]:
    """Start ``module``'s ``serve()`` in a child interpreter and send it ``first``.

    Imported, not run as ``__main__``: what it pickles must name its module. Its stderr
    carries its log records, relayed into the patrol's log under ``relay_to`` from the
    running loop (also while it starts). ``OSError`` if it cannot be started, or died at
    once (then it is reaped).
    """
    loop = asyncio.get_running_loop()
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from {module} import serve; serve()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,  # signals to the patrol's group are the patrol's to handle
    )
    assert proc.stdin is not None and proc.stderr is not None
    log_relay = ChildLogRelay(proc.stderr, loop, relay_to)
    try:  # a few kB at most: the pipe takes them without waiting for the child
        write_frame(proc.stdin, first)
    except OSError:
        stop_child(proc, kill=True)
        log_relay.close()
        raise
    return proc, log_relay


def when_ready(
    proc: subprocess.Popen[bytes],
    log_relay: ChildLogRelay,
    handshake: Callable[[], _T],
    build: Callable[[_T], _R],
) -> asyncio.Task[_R]:
    """A task that waits (in a thread) for ``handshake()`` — what the child says once it
    is ready — and ends with ``build(what it said)``. If the handshake raises, or the
    task is cancelled (even before it ran), the child is killed."""
    loop = asyncio.get_running_loop()

    async def ready() -> _R:
        try:
            said = await loop.run_in_executor(None, handshake)
        except BaseException:  # what it said, or cancelled: the child goes either way
            stop_child(proc, kill=True)
            log_relay.close()
            raise
        return build(said)

    task = loop.create_task(ready())

    def cancelled_before_it_ran(done: asyncio.Task[_R]) -> None:
        if done.cancelled() and proc.returncode is None:
            stop_child(proc, kill=True)
            log_relay.close()

    task.add_done_callback(cancelled_before_it_ran)
    return task
