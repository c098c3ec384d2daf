"""The job folder's journal: what survives a kill, and when a patrol starts afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol.crawl.journal import PatrolJournal
from patrol.errors import PatrolError

BASE = "http://127.0.0.1:8401/"


def test_killed_patrol_is_resumed_and_a_cut_line_is_not_done(tmp_path: Path) -> None:
    first = PatrolJournal(tmp_path, "taoji", BASE)
    first.open()
    first.record("http://127.0.0.1:8401/item/1.html")
    first.record("http://127.0.0.1:8401/item/2.html")
    # the kill: no close(), and a line the process was writing when it died
    with (tmp_path / "done-listings.txt").open("a") as handle:
        handle.write("http://127.0.0.1:8401/item/3.ht")

    second = PatrolJournal(tmp_path, "taoji", BASE)
    second.open()
    assert second.resumed and second.started_at == first.started_at
    assert second.is_done("http://127.0.0.1:8401/item/2.html")
    assert not second.is_done("http://127.0.0.1:8401/item/3.ht")
    assert not second.is_done("http://127.0.0.1:8401/item/3.html")
    second.record("http://127.0.0.1:8401/item/3.html")
    second.close(finished=True)

    third = PatrolJournal(tmp_path, "taoji", BASE)
    third.open()  # the last patrol finished: this one is new
    assert not third.resumed and len(third) == 0
    assert not third.is_done("http://127.0.0.1:8401/item/1.html")


def test_unfinished_patrol_stays_resumable(tmp_path: Path) -> None:
    journal = PatrolJournal(tmp_path, "taoji", BASE)
    journal.open()
    journal.record("http://127.0.0.1:8401/item/1.html")
    journal.close(finished=False)  # blocked, or stopped: the next start continues it
    again = PatrolJournal(tmp_path, "taoji", BASE)
    again.open()
    assert again.resumed and again.is_done("http://127.0.0.1:8401/item/1.html")


def test_folder_of_another_site_or_garbage_is_refused(tmp_path: Path) -> None:
    PatrolJournal(tmp_path, "taoji", BASE).open()
    with pytest.raises(PatrolError, match="belongs to a patrol of 'taoji'"):
        PatrolJournal(tmp_path, "bazaar", BASE).open()
    (tmp_path / "patrol-state.json").write_text("{not json")
    with pytest.raises(PatrolError, match="unreadable job state"):
        PatrolJournal(tmp_path, "taoji", BASE).open()
