"""Console accounts: users, their sign-in sessions, and failed sign-ins.

Kept beside the patrol schema (same :class:`~patrol.db.models.Base`, same migrations) but
in a module of their own, because nothing a patrol does reads them.

- ``users`` — who may sign in to the console: a unique login ``name``, the ``full_name``
  shown and written as a lead's assignee, a ``role`` (``officer``, ``supervisor``,
  ``admin``), an Argon2 password hash (never the password) and an ``active`` switch (an
  account is disabled, never deleted: its name stays in lead histories).
- ``web_sessions`` — server-side sign-in sessions. The browser holds a random token; only
  its sha256 is stored, so a copy of the database signs nobody in. Each session has its
  own CSRF token, an absolute expiry and an idle expiry (``last_seen_at``).
- ``login_failures`` — one row per wrong password (login name and client address), read
  to rate-limit guessing across every console process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrol.db.models import Base, utcnow

__all__ = ["LoginFailure", "User", "WebSession"]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    client: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str | None] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
