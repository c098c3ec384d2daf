"""The short lists pages offer to choose from: the sites, and who leads can be assigned to.

Every queue page and every open lead's page shows them, and they change about never — a
site appears with its first patrol, an account when an admin adds one — so each server
process remembers them for a few seconds (:data:`REMEMBER_SECONDS`) instead of asking
the database twice on every page. A change made through this process's accounts page is
seen at once (:meth:`Choices.forget`); one made elsewhere (``patrol users``, another
worker) within the few seconds. Nothing is decided on these lists: an assignment is
checked against the database when it is made (:func:`patrol.web.triage.find_assignee`),
so a list a few seconds old can offer a name, never grant anything.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.accounts import User
from patrol.db.models import Marketplace
from patrol.web.triage import ASSIGNABLE_ROLES

__all__ = ["REMEMBER_SECONDS", "Assignee", "ChoiceLists", "Choices"]

REMEMBER_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Assignee:
    """An active account a lead can be assigned to, as the pages show it."""

    name: str
    full_name: str
    role: str


@dataclass(frozen=True)
class ChoiceLists:
    sites: tuple[str, ...]
    assignees: tuple[Assignee, ...]


class Choices:
    """This process's memory of :class:`ChoiceLists` (thread-safe)."""

    def __init__(self, seconds: float = REMEMBER_SECONDS) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self._lists: ChoiceLists | None = None
        self._read_at = 0.0

    def lists(self, session: Session) -> ChoiceLists:
        with self._lock:
            if self._lists is not None and time.monotonic() - self._read_at < self._seconds:
                return self._lists
        lists = _read(session)
        with self._lock:
            self._lists, self._read_at = lists, time.monotonic()
        return lists

    def forget(self) -> None:
        """After a change to accounts: the next page reads the lists again."""
        with self._lock:
            self._lists = None


def _read(session: Session) -> ChoiceLists:
    connection = session.connection()
    sites = connection.scalars(select(Marketplace.code).order_by(Marketplace.code))
    assignees = connection.execute(
        select(User.name, User.full_name, User.role)
        .where(User.active.is_(True), User.role.in_(ASSIGNABLE_ROLES))
        .order_by(User.full_name, User.name)
    )
    return ChoiceLists(sites=tuple(sites), assignees=tuple(Assignee(*row) for row in assignees))
