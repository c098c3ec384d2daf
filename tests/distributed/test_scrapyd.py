"""Deploying to a real Scrapyd and scheduling patrols through its API.

The test starts Scrapyd on 127.0.0.1 (a free port, a temporary config and data folder),
deploys the project with ``scrapyd-deploy`` from ``deploy/scrapyd``, schedules one patrol
of taoji through ``schedule.json`` and then one distributed patrol of bazaar as two Scrapyd
jobs sharing a frontier in Redis, polls ``listjobs.json`` until they finish, and checks
what the database holds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from patrol.config import PROJECT_ROOT
from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.distributed.patrols import Cluster, database_contents

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

SEED = 4
LISTINGS = 120
HOUR = 12.0
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


def _wait_finished(base: str, jobs: set[str], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = _call(base, "listjobs.json?project=patrol")
        if jobs <= {job["id"] for job in listed["finished"]}:
            return
        time.sleep(0.5)
    raise AssertionError(f"Scrapyd jobs {jobs} did not finish: {listed}")


def test_scrapyd_deploy_and_schedule(cluster: Cluster, tmp_path: Path) -> None:
    port = _free_port()
    server_dir = tmp_path / "scrapyd"
    server_dir.mkdir()
    (server_dir / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {server_dir / 'eggs'}\nlogs_dir = {server_dir / 'logs'}\n"
        f"dbs_dir = {server_dir / 'dbs'}\nitems_dir =\nmax_proc = 2\npoll_interval = 0.2\n"
    )
    env = cluster.env(distributed=False)
    scrapyd = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=server_dir, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _call(base, "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert scrapyd.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)

        project = tmp_path / "deploy"
        shutil.copytree(PROJECT_ROOT / "deploy" / "scrapyd", project)
        config = (project / "scrapy.cfg").read_text()
        (project / "scrapy.cfg").write_text(config.replace("http://127.0.0.1:6800/", base + "/"))
        deploy = subprocess.run(
            [str(BIN / "scrapyd-deploy"), "-p", "patrol"], cwd=project, env={
                **env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"
            }, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert deploy.returncode == 0, deploy.stderr
        assert '"status": "ok"' in deploy.stdout
        assert _call(base, "listspiders.json?project=patrol")["spiders"] == ["marketplace"]

        with serve_marketplaces(
            sites=("taoji", "bazaar"), seed=SEED, listings=LISTINGS, hour=HOUR
        ) as fx:
            fast = [("setting", "PATROL_RETRY_BACKOFF_BASE=0.05")]
            job = _call(base, "schedule.json", [
                ("project", "patrol"), ("spider", "marketplace"), ("site", "taoji"),
                ("base_url", fx.base_url("taoji")), *fast,
            ])  # fmt: skip
            assert job["status"] == "ok"
            _wait_finished(base, {job["jobid"]})
            # a distributed patrol: two Scrapyd jobs, one frontier, one run record
            distributed = [
                ("setting", f"PATROL_REDIS_URL={cluster.redis_url}"),
                ("setting", f"PATROL_REDIS_PREFIX={cluster.prefix}"),
                ("setting", "PATROL_PATROL_ID=scrapyd-bazaar"),
            ]
            jobs = {
                _call(base, "schedule.json", [
                    ("project", "patrol"), ("spider", "marketplace"), ("site", "bazaar"),
                    ("base_url", fx.base_url("bazaar")), *fast, *distributed,
                ])["jobid"]
                for _ in range(2)
            }  # fmt: skip
            _wait_finished(base, jobs)
    finally:
        scrapyd.terminate()
        scrapyd.wait(30)

    got = database_contents(cluster.database_url)
    for site in ("taoji", "bazaar"):
        live = {row["id"] for row in ground_truth(site, SEED, LISTINGS, hour=HOUR)}
        assert {lid for code, lid in got["listings"] if code == site} == live
    runs = [
        (site, status, stats.get("patrol/workers")) for site, status, _, _, stats in got["runs"]
    ]
    assert runs == [("taoji", "finished", None), ("bazaar", "finished", 2)]
