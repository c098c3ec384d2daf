"""Signing in and out (the only pages served without a session)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from patrol.web.accounts import check_password
from patrol.web.console import Console, Visit, read_form, safe_next, view
from patrol.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    end_session,
    forgive_attempt,
    login_throttle,
    new_token,
    record_attempt,
    start_session,
    tokens_match,
)

__all__ = ["ROUTES"]

logger = logging.getLogger(__name__)


async def login_page(request: Request) -> Response:
    console: Console = request.app.state.console
    if request.method == "POST":
        form = await read_form(request)
        name = str(form.get("name") or "")[:100]
        password = str(form.get("password") or "")[:1000]
        given = form.get(CSRF_FIELD)
        target = safe_next(str(form.get("next") or "/"))
        await form.close()
        if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), str(given or "")):
            return _login_form(
                console, request, target, "The sign-in form expired: try again.", 403
            )
        return await console.run_blocking(_sign_in, console, request, name, password, target)
    return _login_form(console, request, safe_next(request.query_params.get("next")))


def _sign_in(console: Console, request: Request, name: str, password: str, target: str) -> Response:
    client = request.client.host if request.client else None
    sessions = console.database.sessions
    with sessions.begin() as db:  # counted as a failure until the password proves right
        attempt = record_attempt(db, name, client, console.config)
    with sessions.begin() as db:
        throttle = login_throttle(db, name, client, console.config, attempt)
        if throttle.blocked:
            forgive_attempt(db, attempt)  # refused unchecked: it guessed nothing
            logger.warning("sign-in paused for %r from %s (too many failures)", name, client)
            minutes = max(1, round(throttle.retry_after / 60))
            response = _login_form(
                console,
                request,
                target,
                f"Too many failed sign-ins. Try again in about {minutes} minute(s).",
                429,
            )
            response.headers["Retry-After"] = str(throttle.retry_after)
            return response
        user = check_password(db, name, password)
        if user is None:
            logger.info("failed sign-in for %r from %s", name, client)
            return _login_form(console, request, target, "Wrong name or password.", 401)
        forgive_attempt(db, attempt)
        token = start_session(db, user, console.config, client)
    logger.info("%s signed in from %s", user.name, client)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(console.config.session_lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=console.config.secure_cookies,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _login_form(
    console: Console, request: Request, target: str, error: str | None = None, status: int = 200
) -> Response:
    token = new_token()
    response = console.render(
        request, "login.html", status=status, csrf_token=token, next=target, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=console.config.secure_cookies,
    )
    return response


@view("officer")
def logout(visit: Visit) -> Response:
    end_session(visit.db, visit.request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
]
