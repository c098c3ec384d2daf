"""`patrol web` serves the triage console; `patrol users` manages who may sign in to it."""

from __future__ import annotations

import click

from patrol.cli._common import session_scope
from patrol.errors import PatrolError

__all__ = ["users_group", "web_command"]


@click.command(name="web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (each with its own database connections).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Requests each process works on at once (default 4; PATROL_WEB_THREADS).",
)
@click.option("--access-log", is_flag=True, help="Log every request.")
def web_command(host: str, port: int, workers: int, threads: int | None, access_log: bool) -> None:
    """Serve the web console (leads, cases, patrol health, reports, accounts)."""
    import os

    from patrol.web.app import create_app
    from patrol.web.serve import listen, serve_console

    if threads is not None:
        os.environ["PATROL_WEB_THREADS"] = str(threads)  # read by every worker's WebConfig
    app = create_app()  # refuses a bad setting or an unmigrated database here, in one line
    app.state.console.database.dispose()
    listener = listen(host, port)  # a port in use is one line, before the address is shown
    click.echo(f"Listing Patrol console on http://{host}:{port}/ (Ctrl-C stops it)")
    serve_console(listener, workers, access_log)


@click.group(name="users")
def users_group() -> None:
    """Console accounts: add, list, set a role or password, disable."""


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_group.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(("officer", "supervisor", "admin")), required=True)
@click.option("--full-name", default="", help="Shown in the console and written as assignee.")
@click.option(
    "--password",
    envvar="PATROL_USER_PASSWORD",
    help="The password (else asked for; PATROL_USER_PASSWORD also works).",
)
def add_command(name: str, role: str, full_name: str, password: str | None) -> None:
    """Add an account NAME that may sign in to the console."""
    from patrol.web.accounts import add_user

    secret = _password(password)
    with session_scope(write=True) as session:
        user = add_user(session, name, secret, role, full_name)
        click.echo(f"added {user.name} ({user.role})")


@users_group.command(name="list")
def list_command() -> None:
    """List the accounts."""
    from sqlalchemy import select

    from patrol.db.accounts import User

    with session_scope() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.name}\t{user.role}\t{state}\t{user.full_name}")


@users_group.command(name="set")
@click.argument("name")
@click.option("--role", type=click.Choice(("officer", "supervisor", "admin")))
@click.option("--password", is_flag=True, help="Ask for a new password.")
@click.option("--disable/--enable", "disabled", default=None, help="Switch the account off or on.")
def set_command(name: str, role: str | None, password: bool, disabled: bool | None) -> None:
    """Change NAME's role, password or state (ends its open sessions)."""
    from patrol.web.accounts import find_user, set_password, update_user

    if role is None and not password and disabled is None:
        raise PatrolError("nothing to change: give --role, --password, --disable or --enable")
    secret = _password(None) if password else None
    with session_scope(write=True) as session:
        user = find_user(session, name)
        if user is None:
            raise PatrolError(f"no account named {name!r}")
        update_user(session, user, role=role, active=None if disabled is None else not disabled)
        if secret is not None:
            set_password(session, user, secret)
        click.echo(f"changed {user.name}")
