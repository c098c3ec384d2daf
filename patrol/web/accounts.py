"""Console accounts: roles, Argon2 password hashes, and the ``patrol users`` operations.

Roles are ordered: a ``supervisor`` may do all an ``officer`` may, an ``admin`` all a
supervisor may. Passwords are hashed with argon2-cffi's defaults (Argon2id, RFC 9106 low
memory profile); a hash made with older parameters is upgraded at the next sign-in.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from patrol.db.accounts import User, WebSession
from patrol.db.models import utcnow
from patrol.errors import PatrolError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "add_user",
    "check_password",
    "find_user",
    "has_role",
    "set_password",
    "update_user",
]

ROLES = ("officer", "supervisor", "admin")
MIN_PASSWORD_LENGTH = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# a hash to verify against when the login name is unknown, so that a wrong name takes as
# long as a wrong password and sign-in timing does not tell which names exist
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def has_role(role: str, needed: str) -> bool:
    """Whether ``role`` includes the powers of ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name.strip().lower())).one_or_none()


def add_user(session: Session, name: str, password: str, role: str, full_name: str = "") -> User:
    """A new account; the login name is lower-cased and must be new."""
    name = name.strip().lower()
    if not _NAME.match(name):
        raise PatrolError(
            f"bad login name {name!r}: 2-64 characters, letters, digits, '.', '_' or '-'"
        )
    _check_role(role)
    _check_password(password)
    if find_user(session, name) is not None:
        raise PatrolError(f"there is already an account named {name!r}")
    user = User(
        name=name,
        full_name=full_name.strip() or name,
        role=role,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session, user: User, *, role: str | None = None, active: bool | None = None
) -> None:
    """Change a role or disable an account; either ends the account's open sessions."""
    if role is not None:
        _check_role(role)
        user.role = role
    if active is not None:
        user.active = active
    _end_sessions(session, user)


def set_password(session: Session, user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    _end_sessions(session, user)


def check_password(session: Session, name: str, password: str) -> User | None:
    """The active account with this name and password, else None (in constant-ish time)."""
    user = find_user(session, name)
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _end_sessions(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise PatrolError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PatrolError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
