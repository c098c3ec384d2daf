"""Every fault mode happens when asked, and only then."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import pytest

from patrol.errors import PatrolError
from patrol.marketplaces import FaultConfig
from patrol.marketplaces.faults import load_faults
from patrol.marketplaces.server import FixtureServers

from .conftest import fetch


def _outcomes(fx: FixtureServers, site: str, path: str, n: int) -> list[object]:
    out: list[object] = []
    for _ in range(n):
        try:
            out.append(fetch(fx.base_url(site) + path, timeout=10))
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            out.append(exc)
    return out


@pytest.fixture()
def faulty(fx: FixtureServers):  # type: ignore[no-untyped-def]
    yield fx
    for site in ("taoji", "kuaigou", "bazaar"):
        fx.set_faults(site, None)


def test_no_faults_by_default(fx: FixtureServers) -> None:
    results = _outcomes(fx, "bazaar", "/b/all", 20)
    assert all(getattr(r, "status", None) == 200 for r in results)


def test_server_errors(faulty: FixtureServers) -> None:
    faulty.set_faults("taoji", "errors")
    statuses = [getattr(r, "status", None) for r in _outcomes(faulty, "taoji", "/list", 40)]
    assert 500 in statuses and 503 in statuses and 200 in statuses
    assert 4 <= statuses.count(500) + statuses.count(503) <= 12


def test_rate_limit_with_retry_after(faulty: FixtureServers) -> None:
    faulty.set_faults("kuaigou", FaultConfig(rate_limit=0.5, retry_after=7))
    limited = [
        r
        for r in _outcomes(faulty, "kuaigou", "/api/feed", 20)
        if getattr(r, "status", None) == 429
    ]
    assert limited
    assert all(r.headers["Retry-After"] == "7" for r in limited)  # type: ignore[attr-defined]


def test_slow_responses(faulty: FixtureServers) -> None:
    faulty.set_faults("bazaar", FaultConfig(slow_rate=1.0, slow_seconds=0.4))
    started = time.monotonic()
    result = fetch(faulty.base_url("bazaar") + "/b/all")
    assert result.status == 200
    assert time.monotonic() - started >= 0.4


def test_dropped_connections(faulty: FixtureServers) -> None:
    faulty.set_faults("bazaar", "drop")
    results = _outcomes(faulty, "bazaar", "/b/all", 20)
    dropped = [r for r in results if isinstance(r, Exception)]
    assert dropped and len(dropped) < 20
    assert faulty.fault_counts("bazaar")["drop"] == len(dropped)


def test_truncated_html(faulty: FixtureServers) -> None:
    faulty.set_faults("taoji", FaultConfig(truncate_rate=1.0))
    result = fetch(faulty.base_url("taoji") + "/list")
    faulty.set_faults("taoji", None)
    whole = fetch(faulty.base_url("taoji") + "/list")
    assert result.status == 200 and whole.status == 200
    assert result.body == whole.body[: len(whole.body) // 2]
    assert b"</html>" not in result.body


def test_block_page_is_a_200_captcha_without_results(faulty: FixtureServers) -> None:
    faulty.set_faults("taoji", "block")
    faulty.set_faults("bazaar", "block")
    faulty.set_faults("kuaigou", "block")
    taoji = fetch(faulty.base_url("taoji") + "/list")
    assert taoji.status == 200 and b'id="captcha"' in taoji.body
    assert b'class="tj-card"' not in taoji.body
    bazaar = fetch(faulty.base_url("bazaar") + "/b/all")
    assert (
        bazaar.status == 200
        and b'id="captcha"' in bazaar.body
        and b"bz-item-link" not in bazaar.body
    )
    api = fetch(faulty.base_url("kuaigou") + "/api/feed")
    assert api.status == 200 and b'"captcha":true' in api.body
    # robots.txt is never faulted: a crawler can still read the rules
    assert fetch(faulty.base_url("taoji") + "/robots.txt").body.startswith(b"User-agent")


def test_block_after_n_requests(faulty: FixtureServers) -> None:
    faulty.set_faults("bazaar", FaultConfig(block_after=3))
    bodies = [r.body for r in _outcomes(faulty, "bazaar", "/b/all", 6)]  # type: ignore[attr-defined]
    assert [b'id="captcha"' in b for b in bodies] == [False] * 3 + [True] * 3


def test_faults_only_on_the_path_prefix(faulty: FixtureServers) -> None:
    faulty.set_faults("kuaigou", FaultConfig(error_rate=1.0, path_prefix="/api/item/"))
    before = sum(faulty.fault_counts("kuaigou").values())  # the server's count since it began
    shell = _outcomes(faulty, "kuaigou", "/item/1", 3)
    feed = _outcomes(faulty, "kuaigou", "/api/feed", 3)
    item = _outcomes(faulty, "kuaigou", "/api/item/1", 3)
    assert [getattr(r, "status", None) for r in shell + feed] == [200] * 6
    assert {getattr(r, "status", None) for r in item} <= {500, 503}
    assert sum(faulty.fault_counts("kuaigou").values()) - before == 3


def test_faults_file(tmp_path: Path) -> None:
    good = tmp_path / "faults.yaml"
    good.write_text("error_rate: 0.25\nrate_limit: 0.1\nretry_after: 3\n", encoding="utf-8")
    assert load_faults(str(good)) == FaultConfig(error_rate=0.25, rate_limit=0.1, retry_after=3)
    broken = tmp_path / "broken.yaml"
    broken.write_text("error_rate: 0.1\nslow_rate: [0.2\n", encoding="utf-8")
    with pytest.raises(PatrolError, match=r"broken\.yaml:\d+"):
        load_faults(str(broken))
    deep = tmp_path / "deep.yaml"
    deep.write_text("error_rate: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(PatrolError, match=r"deep\.yaml: YAML in faults file nested too deeply"):
        load_faults(str(deep))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("eror_rate: 0.1\n", encoding="utf-8")
    with pytest.raises(PatrolError, match="unknown fault setting 'eror_rate'"):
        load_faults(str(unknown))
    too_much = tmp_path / "much.yaml"
    too_much.write_text("error_rate: 0.8\ndrop_rate: 0.5\n", encoding="utf-8")
    with pytest.raises(PatrolError, match="more than 1"):
        load_faults(str(too_much))
    prefixed = tmp_path / "prefixed.yaml"
    prefixed.write_text('error_rate: 0.5\npath_prefix: "/api/"\n', encoding="utf-8")
    assert load_faults(str(prefixed)) == FaultConfig(error_rate=0.5, path_prefix="/api/")
    relative = tmp_path / "relative.yaml"
    relative.write_text("error_rate: 0.5\npath_prefix: api\n", encoding="utf-8")
    with pytest.raises(PatrolError, match=r"relative\.yaml: path_prefix must start with '/'"):
        load_faults(str(relative))
    with pytest.raises(PatrolError, match="unknown faults preset"):
        load_faults("nosuchpreset")
