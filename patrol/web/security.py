"""Sign-in sessions, CSRF tokens and the brake on password guessing.

Why server-side sessions rather than a signed cookie: a session must end when it expires,
when its user signs out, and at once when an admin disables the account or changes its
role — a signed cookie cannot be taken back. The browser holds a random token (HttpOnly,
SameSite=Lax); the database holds its sha256.

CSRF: every session has its own random token, put in every form the console renders and
checked on every POST (synchroniser token pattern). The sign-in form, which has no session
yet, uses a double-submit token: the same random value in a cookie and in the form.

Flash messages (the one line a page shows after a form, "2 lead(s) assigned"): kept in a
cookie, so the browser could write any text there, and a page would show it in the
console's own voice. Each is signed with HMAC-SHA256 under the sign-in session's secret —
the sha256 of its token, which only the server and the holder of the session cookie
know — so a flash that was not written by the console for this very session (forged,
altered, or carried over from another session) is dropped unread.

Guessing: each wrong password is recorded with its login name and client address; past
``login_attempts`` failures for a name (or four times as many from one address) within
``login_window``, sign-in is refused with 429 until the window has moved on, whether the
next password is right or not. A try is written down as a failure *before* its password is
checked (``record_attempt``, committed at once) and forgiven only if the password proves
right: checking an Argon2 hash takes long enough for many guesses sent together to all
read "no failures yet" and all be tried, so counting afterwards would let them through.
Counted first, the k-th try to be committed sees at least k tries, so at most
``login_attempts`` are ever checked within a window, on every database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, unquote

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from patrol.db.accounts import LoginFailure, User, WebSession
from patrol.db.models import utcnow
from patrol.web.config import WebConfig

__all__ = [
    "CSRF_FIELD",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "Throttle",
    "end_session",
    "find_session",
    "forgive_attempt",
    "login_throttle",
    "needs_touch",
    "new_token",
    "read_flash",
    "record_attempt",
    "session_flash_key",
    "sign_flash",
    "start_session",
    "tokens_match",
    "touch_session",
]

SESSION_COOKIE = "patrol_session"
LOGIN_CSRF_COOKIE = "patrol_login_csrf"
CSRF_FIELD = "csrf_token"
_TOUCH_EVERY = timedelta(seconds=60)
#: what a flash message may hold: one line, never a page of text
FLASH_LENGTH = 300


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, web: WebConfig, client: str | None) -> str:
    """A new sign-in session for ``user``; returns the token for the cookie."""
    token = new_token()
    now = utcnow()
    session.add(
        WebSession(
            token_sha256=_digest(token),
            user_id=user.id,
            csrf_token=new_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + web.session_lifetime,
            client=(client or "")[:100] or None,
        )
    )
    # sessions that ran out are of no use to anyone: sweep them while we are writing
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return token


def find_session(
    session: Session, token: str | None, web: WebConfig, now: datetime | None = None
) -> WebSession | None:
    """The live session of this cookie token (with its active user), else None."""
    if not token:
        return None
    now = now or utcnow()
    web_session = session.scalars(
        select(WebSession)
        .join(WebSession.user)
        .options(contains_eager(WebSession.user))  # one query on every page, not two
        .where(WebSession.token_sha256 == _digest(token))
    ).one_or_none()
    if web_session is None:
        return None
    user = web_session.user
    if not user.active or web_session.expires_at <= now:
        return None
    if web_session.last_seen_at + web.session_idle <= now:
        return None
    return web_session


def needs_touch(web_session: WebSession, now: datetime | None = None) -> bool:
    """Whether the idle expiry is due to move on: at most once a minute, so that nearly
    every page is a read-only transaction."""
    return (now or utcnow()) - web_session.last_seen_at >= _TOUCH_EVERY


def touch_session(session: Session, web_session: WebSession, now: datetime | None = None) -> None:
    """Move the session's idle expiry on."""
    now = now or utcnow()
    session.execute(
        update(WebSession).where(WebSession.id == web_session.id).values(last_seen_at=now)
    )


def session_flash_key(web_session: WebSession) -> str:
    """The key a session's flash messages are signed with: its token's sha256."""
    return web_session.token_sha256


def sign_flash(key: str, text: str) -> str:
    """The flash cookie's value for ``text`` (cut to :data:`FLASH_LENGTH`): the text,
    percent-encoded, a dot, and its signature under ``key`` (:func:`session_flash_key`)."""
    quoted = quote(text[:FLASH_LENGTH], safe="")
    return f"{quoted}.{_flash_signature(key, quoted)}"


def read_flash(key: str, value: str | None) -> str | None:
    """The text of a flash cookie signed with ``key``; None for anything else."""
    if not key or not value:
        return None
    quoted, _, signature = value.rpartition(".")
    if not quoted or not tokens_match(_flash_signature(key, quoted), signature):
        return None
    return unquote(quoted)[:FLASH_LENGTH]


def _flash_signature(key: str, quoted: str) -> str:
    message = b"patrol_flash\0" + quoted.encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


@dataclass(frozen=True)
class Throttle:
    blocked: bool
    retry_after: int  # seconds until a sign-in may be tried again


def record_attempt(session: Session, name: str, client: str | None, web: WebConfig) -> int:
    """Write a sign-in try down as a failure (commit it before checking the password)."""
    now = utcnow()
    attempt = LoginFailure(name=_login_name(name), client=client, at=now)
    session.add(attempt)
    session.flush()
    _forget_old_failures(session, now, web)
    return attempt.id


def forgive_attempt(session: Session, attempt: int) -> None:
    """The try was refused unchecked, or its password was right: it is no failure."""
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt))


def login_throttle(
    session: Session,
    name: str,
    client: str | None,
    web: WebConfig,
    attempt: int,
    now: datetime | None = None,
) -> Throttle:
    """Whether this try (already recorded as ``attempt``) must wait, and for how long."""
    now = now or utcnow()
    since = now - web.login_window
    by_name = _failures(session, LoginFailure.name == _login_name(name), since, attempt)
    by_client = (
        _failures(session, LoginFailure.client == client, since, attempt) if client else (0, None)
    )
    oldest: datetime | None = None
    if by_name[0] >= web.login_attempts:
        oldest = by_name[1]
    elif by_client[0] >= web.login_attempts * 4:
        oldest = by_client[1]
    if oldest is None:
        return Throttle(False, 0)
    wait = (oldest + web.login_window - now).total_seconds()
    return Throttle(True, max(1, int(wait) + 1))


def _failures(
    session: Session, condition: object, since: datetime, attempt: int
) -> tuple[int, datetime | None]:
    """Failures in the window other than this very try (tries being checked count too)."""
    count, oldest = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            condition,  # type: ignore[arg-type]
            LoginFailure.at >= since,
            LoginFailure.id != attempt,
        )
    ).one()
    return int(count), oldest


def _login_name(name: str) -> str:
    return name.strip().lower()[:100]


def _forget_old_failures(session: Session, now: datetime, web: WebConfig) -> None:
    # keep the table small: failures older than the window decide nothing
    session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.at < now - web.login_window * 4, LoginFailure.at > now + _TOUCH_EVERY)
        )
    )
