"""Reading the project's text files (profiles, rulebooks, schedules, faults) as UTF-8.

Users on Chinese systems save files as GBK more often than not, and Python's own message
for that ("can't decode byte 0xc4 in position 40") names a byte offset nobody can find in
an editor. :func:`read_utf8` says the line and column instead, and what to do about it.
A byte-order mark is dropped, as editors on Windows write one.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NotUtf8Error", "decode_utf8", "read_utf8"]

_BOM = b"\xef\xbb\xbf"


class NotUtf8Error(ValueError):
    """Text that is not UTF-8: the ``line`` and ``column`` (1-based) of its first bad byte.

    The message names the column and the byte; the caller puts the file and line before it.
    """

    def __init__(self, line: int, column: int, byte: int) -> None:
        self.line = line
        self.column = column
        self.byte = byte
        super().__init__(
            f"byte 0x{byte:02x} at column {column} is not UTF-8"
            " (a GBK or Latin-1 file? save it as UTF-8)"
        )


def decode_utf8(data: bytes) -> str:
    """``data`` as text (without a BOM); :class:`NotUtf8Error` names the first bad byte."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        # the column counts the characters before the bad byte, not the bytes
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        raise NotUtf8Error(data.count(b"\n", 0, start) + 1, column, data[start]) from None


def read_utf8(path: Path) -> str:
    """The text of ``path``; :class:`OSError` or :class:`NotUtf8Error` if it has none."""
    return decode_utf8(path.read_bytes())
