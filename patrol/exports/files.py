"""Writing output files so that a reader never sees half of one.

Every export and report is written to a temporary file in the target folder and renamed
over the target once complete (``os.replace`` is atomic within one file system), so an
interrupted export leaves the previous file, or nothing, but never a torn one. A folder
that does not exist or cannot be written is reported before any work is done.

Renaming replaces whatever the name points at, so the target is settled first: a symlink
is followed (the file it points to is replaced, in that file's folder, and the link is
kept), and anything that is not a regular file — a device, a named pipe, a socket — is
refused rather than replaced. The new file keeps the old one's permission bits (a new
file gets the mode ``open()`` would give it), not ``mkstemp``'s private 0600.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from patrol.errors import PatrolError

__all__ = ["atomic_output", "check_writable"]


def check_writable(path: Path) -> Path:
    """The file to write for ``path`` (absolute, symlinks followed), if a file can be
    written there; else a :class:`PatrolError`."""
    path = path.expanduser().absolute()
    if path.is_symlink():
        path = path.resolve()  # replace the link's target, never the link itself
    if path.is_dir():
        raise PatrolError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise PatrolError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PatrolError(f"cannot write {path}: folder {folder} is not writable")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise PatrolError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise PatrolError(
            f"cannot write {path}: it is not a regular file (a device, pipe or socket); "
            "give a file name with --out"
        )
    if not os.access(path, os.W_OK):
        raise PatrolError(f"cannot write {path}: the file is read-only")
    return path


def _umask() -> int:
    """The process's umask, read without changing it where the system allows.

    ``os.umask`` can only read the mask by setting it, and for that instant a file made by
    another thread (the web console writes reports too) would get the wrong mode; Linux
    shows the mask in ``/proc/self/status``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _new_file_mode() -> int:
    """The permission bits ``open()`` gives a new file: 0666 less the umask."""
    return 0o666 & ~_umask()


def _match_target(temporary: Path, path: Path) -> None:
    """Give the temporary file the mode (and, if allowed, the owner) of the file it replaces."""
    try:
        old = path.stat()
    except FileNotFoundError:
        os.chmod(temporary, _new_file_mode())
        return
    os.chmod(temporary, stat.S_IMODE(old.st_mode))
    new = temporary.stat()
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        # only root may give a file away; the content matters more than the owner
        with contextlib.suppress(OSError):
            os.chown(temporary, old.st_uid, old.st_gid)


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    ``path`` is settled by :func:`check_writable` first, so a symlink's target is written.
    """
    path = check_writable(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise PatrolError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        _match_target(temporary, path)
        os.replace(temporary, path)
    except OSError as exc:
        raise PatrolError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
