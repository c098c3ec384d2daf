"""What every console page is built on: :class:`Console`, :class:`Visit` and :func:`view`.

A view is a plain synchronous function ``(visit) -> Response``, run in Starlette's thread
pool because SQLAlchemy sessions block. :func:`view` does, once, for every page, what must
never be forgotten on one of them: find the sign-in session (else off to ``/login``),
check the role (else 403), check the CSRF token of every POST (else 403), and open the
database session the view works in — a read-only transaction for GET, a write transaction
committed when the view returns without error for POST.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
from anyio import CapacityLimiter
from jinja2 import Environment
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Message, Receive

from patrol.db import Database
from patrol.db.accounts import User, WebSession
from patrol.web.accounts import has_role
from patrol.web.choices import Choices
from patrol.web.config import WebConfig
from patrol.web.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    find_session,
    needs_touch,
    read_flash,
    session_flash_key,
    sign_flash,
    tokens_match,
    touch_session,
)

__all__ = ["FLASH_COOKIE", "Console", "Visit", "error_page", "read_form", "safe_next", "view"]

logger = logging.getLogger(__name__)
FLASH_COOKIE = "patrol_flash"
_T = TypeVar("_T")


@dataclass
class Console:
    """The application's long-lived parts (``app.state.console``)."""

    config: WebConfig
    database: Database
    templates: Environment
    #: the sites and assignees pages offer, remembered for a few seconds
    choices: Choices = field(default_factory=Choices)
    _limiter: CapacityLimiter | None = field(default=None, init=False, repr=False)
    #: sessions for a page view (GET), which only reads: see :func:`_page_sessions`
    read_sessions: sessionmaker[Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.read_sessions = _page_sessions(self.database)

    async def run_blocking(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` in a worker thread, at most ``config.threads`` at a time
        (one database connection each; the rest wait their turn in order)."""
        if self._limiter is None:  # made on first use: it belongs to the running loop
            self._limiter = CapacityLimiter(self.config.threads)
        call = functools.partial(function, *args)
        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    def render(
        self,
        request: Request,
        name: str,
        status: int = 200,
        *,
        flash_key: str = "",
        **context: Any,
    ) -> Response:
        """Page ``name``; for a signed-in page (its session's ``flash_key``) with the flash
        message the console left for that session, if any: one not signed with the key
        is dropped unshown."""
        template = self.templates.get_template(name)
        context.setdefault("user", None)
        context.setdefault("csrf_token", "")
        context.setdefault("flash", _flash_of(request, flash_key))
        context.setdefault("nav", "")
        response = HTMLResponse(template.render(request=request, **context), status_code=status)
        if flash_key and FLASH_COOKIE in request.cookies:
            response.delete_cookie(FLASH_COOKIE, path="/")  # shown now, or not ours to show
        return response


def _page_sessions(database: Database) -> sessionmaker[Session]:
    """On PostgreSQL, sessions in autocommit mode; on SQLite, the database's read sessions.

    Under PostgreSQL's READ COMMITTED isolation every statement of a transaction sees its
    own snapshot anyway, so a transaction around a page's reads buys nothing but a BEGIN
    and a ROLLBACK: two of a queue page's six round trips. On SQLite a read transaction
    is one snapshot for the whole page, and takes no write lock.
    """
    if database.dialect == "postgresql":
        engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        return sessionmaker(engine, expire_on_commit=False)
    return database.read_sessions


@dataclass
class Visit:
    """One signed-in request, as a view sees it."""

    request: Request
    console: Console
    user: User
    web_session: WebSession
    db: Session
    form: FormData | None = None
    params: dict[str, str] = field(default_factory=dict)
    #: what this session's flash messages are signed with (read once: a view that rolls
    #: back expires ``web_session``, and may still redirect with a message)
    flash_key: str = ""

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token

    def can(self, role: str) -> bool:
        return has_role(self.user.role, role)

    def field(self, name: str, default: str = "") -> str:
        """A form field as text (the last one if repeated)."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]

    def render(self, name: str, status: int = 200, **context: Any) -> Response:
        return self.console.render(
            self.request,
            name,
            status=status,
            flash_key=self.flash_key,
            user=self.user,
            csrf_token=self.csrf_token,
            **context,
        )

    def redirect(self, url: str, message: str | None = None, *, error: bool = False) -> Response:
        """303 to ``url`` (a path of this site), with a one-line message for the next page,
        signed for this session (see :mod:`patrol.web.security`)."""
        response = RedirectResponse(safe_next(url), status_code=303)
        if message:
            flash = ("!" if error else "") + message
            response.set_cookie(
                FLASH_COOKIE,
                sign_flash(self.flash_key, flash),
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.console.config.secure_cookies,
            )
        return response

    def forbidden(self, why: str) -> Response:
        return error_page(
            self.console,
            self.request,
            403,
            why,
            flash_key=self.flash_key,
            user=self.user,
            csrf_token=self.csrf_token,
        )


def error_page(
    console: Console, request: Request, status: int, message: str, **context: Any
) -> Response:
    return console.render(request, "error.html", status=status, message=message, **context)


def safe_next(url: str | None) -> str:
    """Only a path on this site: never ``//elsewhere`` or ``https://elsewhere``.

    Nor a path with spaces or control characters: a browser drops a tab or a line break
    from ``/\t/elsewhere`` and reads ``//elsewhere``.
    """
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    if any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in url):
        return "/"
    return url


def _flash_of(request: Request, key: str) -> dict[str, Any] | None:
    """The flash message of a signed-in page: never shown to nobody, never unsigned."""
    text = read_flash(key, request.cookies.get(FLASH_COOKIE))
    if not text:
        return None
    error = text.startswith("!")
    return {"text": text[1:] if error else text, "error": error}


ViewFunction = Callable[[Visit], Response]


def view(
    role: str = "officer",
) -> Callable[[ViewFunction], Callable[[Request], Awaitable[Response]]]:
    """Make ``function`` a console endpoint for users with at least ``role``."""

    def decorate(function: ViewFunction) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(function)
        async def endpoint(request: Request) -> Response:
            form = await read_form(request) if request.method == "POST" else None
            try:
                console: Console = request.app.state.console
                return await console.run_blocking(_serve, function, role, request, form)
            finally:
                if form is not None:
                    await form.close()

        return endpoint

    return decorate


#: the most a console form may send: a page of ticked leads is a few kB
MAX_FORM_BYTES = 256 * 1024


async def read_form(request: Request) -> FormData:
    """The posted form, read before anyone is known, so kept small: no console form sends
    a file, and a body over :data:`MAX_FORM_BYTES` is refused (413) as soon as it is known
    to be one — at once for a declared Content-Length, else (``Transfer-Encoding:
    chunked``) when the bytes received pass the cap, never after reading the rest.

    The 413 closes the connection: the client may still be sending, and what it sends
    is not worth reading to find the next request.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise _too_large()
    capped = Request(request.scope, receive=_capped(request.receive, MAX_FORM_BYTES))
    # a file part is refused (400) by Starlette's parser, as is a field past these sizes
    return await capped.form(max_files=0, max_fields=1000, max_part_size=MAX_FORM_BYTES)


def _capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises a 413 once the body it has passed on exceeds ``limit``."""
    received = 0

    async def receive_capped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large()
        return message

    return receive_capped


def _too_large() -> HTTPException:
    return HTTPException(
        413,
        f"a form here sends at most {MAX_FORM_BYTES // 1024} kB",
        headers={"Connection": "close"},
    )


def _serve(function: ViewFunction, role: str, request: Request, form: FormData | None) -> Response:
    console: Console = request.app.state.console
    database = console.database
    if request.method == "POST":
        with database.sessions.begin() as db:  # committed when the view returns
            response, web_session = _dispatch(function, role, request, form, console, db)
            # a view that rolled back (an error) has ended the transaction: the session
            # is touched by the next request instead
            if web_session is not None and db.in_transaction() and needs_touch(web_session):
                touch_session(db, web_session)
        return response
    with console.read_sessions() as db:
        response, web_session = _dispatch(function, role, request, None, console, db)
    if web_session is not None and needs_touch(web_session):
        with database.sessions.begin() as db:
            touch_session(db, web_session)
    return response


def _dispatch(
    function: ViewFunction,
    role: str,
    request: Request,
    form: FormData | None,
    console: Console,
    db: Session,
) -> tuple[Response, WebSession | None]:
    web_session = find_session(db, request.cookies.get(SESSION_COOKIE), console.config)
    if web_session is None:
        return _to_login(request), None
    user = web_session.user
    if not has_role(user.role, role):
        logger.warning(
            "%s (%s) refused %s %s", user.name, user.role, request.method, request.url.path
        )
        page = error_page(
            console,
            request,
            403,
            f"This needs the {role} role.",
            flash_key=session_flash_key(web_session),
            user=user,
            csrf_token=web_session.csrf_token,
        )
        return page, None
    if form is not None and not tokens_match(web_session.csrf_token, _form_text(form, CSRF_FIELD)):
        logger.warning(
            "CSRF token missing or wrong: %s %s by %s", request.method, request.url.path, user.name
        )
        message = (
            "This form has expired or did not come from the console. "
            "Go back, reload the page and try again."
        )
        page = error_page(
            console,
            request,
            403,
            message,
            flash_key=session_flash_key(web_session),
            user=user,
            csrf_token=web_session.csrf_token,
        )
        return page, None
    visit = Visit(
        request=request,
        console=console,
        user=user,
        web_session=web_session,
        db=db,
        form=form,
        params=dict(request.path_params),
        flash_key=session_flash_key(web_session),
    )
    return function(visit), web_session


def _form_text(form: FormData | None, name: str) -> str | None:
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else None


def _to_login(request: Request) -> Response:
    if request.method != "GET":
        return RedirectResponse("/login", status_code=303)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
