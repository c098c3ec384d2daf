"""The job folder's journal: what a patrol has already finished, safe against SIGKILL.

Scrapy's ``JOBDIR`` keeps its request queue on disk but writes the queue's index only on a
clean shutdown, and its duplicate filter records a request when it is *queued*, not when it
is done; after a SIGKILL the restarted crawl would skip requests that were queued and never
fetched, and lose those listings. So a patrol keeps its own, simpler journal: one line per
listing URL whose item went through every pipeline (stored, or dropped as invalid),
appended and flushed as it happens. A restarted patrol re-reads the result pages (cheap,
and needed to see what is live) and skips every listing already in the journal.

The journal also keeps the patrol's start time, so the resumed run can treat listings stored
before the kill as seen by this patrol.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from patrol.errors import PatrolError

__all__ = ["PatrolJournal"]

logger = logging.getLogger(__name__)

_STATE = "patrol-state.json"
_DONE = "done-listings.txt"


class PatrolJournal:
    """Listing URLs a patrol has finished, in ``JOB_DIR``."""

    def __init__(self, job_dir: Path, site: str, base_url: str) -> None:
        self.job_dir = job_dir
        self.site = site
        self.base_url = base_url
        self.resumed = False
        self.started_at = datetime.now(UTC)
        self._done: set[str] = set()
        self._file: IO[str] | None = None

    def open(self) -> None:
        """Read what an interrupted patrol finished; start afresh after a finished one."""
        try:
            self.job_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PatrolError(f"cannot use job folder {self.job_dir}: {exc}") from exc
        state = self.check(self.job_dir, self.site)
        done_path = self.job_dir / _DONE
        if state is not None and state.get("status") == "running":
            self.resumed = True
            self.started_at = datetime.fromisoformat(state["started_at"])
            if done_path.exists():
                with done_path.open(encoding="utf-8", errors="replace") as lines:
                    # a line cut short by the kill has no newline: it was not finished
                    self._done = {line[:-1] for line in lines if line.endswith("\n")}
            logger.info(
                "resuming the patrol of %s started %s: %d listings already done",
                self.site,
                self.started_at.isoformat(),
                len(self._done),
            )
            self._file = done_path.open("a", encoding="utf-8")
            self._file.write("\n")  # end a line the kill may have cut, so it stays apart
        else:
            self._file = done_path.open("w", encoding="utf-8")
        self._write_state("running")

    @staticmethod
    def check(job_dir: Path, site: str) -> dict[str, str] | None:
        """The state kept in ``job_dir`` (None for a new folder); a :class:`PatrolError`
        if it is unreadable or belongs to a patrol of another site."""
        if job_dir.exists() and not job_dir.is_dir():
            raise PatrolError(f"cannot use job folder {job_dir}: it is a file")
        state = _read_state(job_dir)
        if state is not None and state.get("site") != site:
            raise PatrolError(
                f"job folder {job_dir} belongs to a patrol of {state.get('site')!r}, not {site!r}"
            )
        return state

    def is_done(self, url: str) -> bool:
        return url in self._done

    def __len__(self) -> int:
        return len(self._done)

    def record(self, url: str) -> None:
        """Note ``url`` as finished (flushed at once: a SIGKILL loses at most this line)."""
        if url in self._done or self._file is None:
            return
        self._done.add(url)
        self._file.write(url + "\n")
        self._file.flush()

    def close(self, finished: bool) -> None:
        """Mark the patrol finished (the next start is a new patrol) or leave it resumable."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if finished:
            self._write_state("finished")

    def _write_state(self, status: str) -> None:
        path = self.job_dir / _STATE
        state = {
            "site": self.site,
            "base_url": self.base_url,
            "started_at": self.started_at.isoformat(),
            "status": status,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a kill leaves the old state or the new one


def _read_state(job_dir: Path) -> dict[str, str] | None:
    path = job_dir / _STATE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise PatrolError(f"{path}: unreadable job state ({exc}); remove the folder") from exc
    return state if isinstance(state, dict) else None
