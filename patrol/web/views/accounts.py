"""Accounts (admin only): who may sign in, with which role; disable, re-enable, reset."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from patrol.db.accounts import User
from patrol.errors import PatrolError
from patrol.web.accounts import ROLES, add_user, set_password, update_user
from patrol.web.console import Visit, view

__all__ = ["ROUTES"]


@view("admin")
def account_list(visit: Visit) -> Response:
    users = list(visit.db.scalars(select(User).order_by(User.active.desc(), User.name)))
    return visit.render("accounts.html", nav="accounts", users=users, roles=ROLES)


@view("admin")
def account_add(visit: Visit) -> Response:
    try:
        user = add_user(
            visit.db,
            visit.field("name"),
            visit.field("password"),
            visit.field("role"),
            visit.field("full_name"),
        )
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect("/accounts", exc.message, error=True)
    visit.console.choices.forget()
    return visit.redirect("/accounts", f"Account {user.name} added.")


@view("admin")
def account_change(visit: Visit) -> Response:
    user = visit.db.get(User, int(visit.params["user_id"]))
    if user is None:
        return visit.redirect("/accounts", "No such account.", error=True)
    action = visit.field("action")
    try:
        if user.id == visit.user.id and action in ("disable", "role"):
            raise PatrolError("You cannot disable your own account or change your own role.")
        if action == "disable":
            update_user(visit.db, user, active=False)
        elif action == "enable":
            update_user(visit.db, user, active=True)
        elif action == "role":
            update_user(visit.db, user, role=visit.field("role"))
        elif action == "password":
            set_password(visit.db, user, visit.field("password"))
        else:
            raise PatrolError(f"unknown action {action!r}")
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect("/accounts", exc.message, error=True)
    visit.console.choices.forget()
    return visit.redirect("/accounts", f"Account {user.name}: {action} done.")


ROUTES = [
    Route("/accounts", account_list),
    Route("/accounts/add", account_add, methods=["POST"]),
    Route("/accounts/{user_id:id}", account_change, methods=["POST"]),
]
