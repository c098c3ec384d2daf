"""The sites and assignees the pages offer: remembered briefly, forgotten on a change."""

from __future__ import annotations

import pytest

from patrol.errors import PatrolError
from patrol.web.config import WebConfig
from tests.web.server import ConsoleServer, csrf_of, sign_in


def _assignees(html: str) -> list[str]:
    """The full names the queue's assignee filter offers."""
    start = html.index('<select name="assignee">')
    block = html[start : html.index("</select>", start)]
    return [part.split("<", 1)[0] for part in block.split("<option >")[1:]]


def test_an_account_change_shows_in_the_assignee_list_at_once(console: ConsoleServer) -> None:
    with console.client() as admin, console.client() as supervisor:
        sign_in(supervisor, "wang")
        before = _assignees(supervisor.get("/leads").text)
        assert "Officer Li" in before and "Admin" not in before  # officers and supervisors
        sign_in(admin, "admin")
        token = csrf_of(admin.get("/accounts").text)
        data = {"name": "newcomer", "full_name": "Officer New", "role": "officer"}
        data |= {"password": "x" * 12, "csrf_token": token}
        assert admin.post("/accounts/add", data=data).status_code == 303
        # asked again within the seconds the list is remembered: the change shows anyway
        assert _assignees(supervisor.get("/leads").text) == sorted([*before, "Officer New"])


@pytest.mark.parametrize("value", ["0", "65", "many"])
def test_a_thread_count_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PATROL_WEB_THREADS", value)
    with pytest.raises(PatrolError, match="PATROL_WEB_THREADS"):
        WebConfig.from_env(database_url="sqlite://")


@pytest.mark.parametrize("name", ["PATROL_WEB_SESSION_HOURS", "PATROL_WEB_IDLE_MINUTES"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_session_time_that_is_no_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(PatrolError, match=f"{name} must be a number greater than zero"):
        WebConfig.from_env(database_url="sqlite://")
