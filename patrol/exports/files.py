"""Writing output files so that a reader never sees half of one.

Every export and report is written to a temporary file in the target folder and renamed
over the target once complete (``os.replace`` is atomic within one file system), so an
interrupted export leaves the previous file, or nothing, but never a torn one. A folder
that does not exist or cannot be written is reported before any work is done.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from patrol.errors import PatrolError

__all__ = ["atomic_output", "check_writable"]


def check_writable(path: Path) -> Path:
    """``path`` made absolute, if a file can be written there; else a :class:`PatrolError`."""
    path = path.expanduser().absolute()
    if path.is_dir():
        raise PatrolError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise PatrolError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PatrolError(f"cannot write {path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise PatrolError(f"cannot write {path}: the file is read-only")
    return path


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds."""
    path = check_writable(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise PatrolError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as exc:
        raise PatrolError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
