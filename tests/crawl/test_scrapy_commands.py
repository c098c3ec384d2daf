"""`scrapy crawl` and `scrapy list` in the project: a bad patrol argument is one usage
error that names what is wrong (exit 2), not a traceback from inside the crawl."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from patrol.config import PROJECT_ROOT


def _scrapy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    env["PATROL_HOME"] = str(tmp_path)
    return subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), *args],  # the command users run
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_scrapy_list_names_the_marketplace_spider(tmp_path: Path) -> None:
    result = _scrapy(tmp_path, "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["marketplace"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "site=nosuch"], "unknown site 'nosuch' (known sites: bazaar, kuaigou, taoji)"),
        (["-a", "site=../../etc/passwd"], "unknown site '../../etc/passwd'"),
        (["-a", "site=taoji", "-a", "base_url=ftp://x/"], "bad base URL 'ftp://x/'"),
        ([], "no site to patrol: pass -a site=NAME or set PATROL_SITE"),
    ],
)
def test_a_bad_patrol_argument_is_a_usage_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = _scrapy(tmp_path, "crawl", "marketplace", *args)
    assert result.returncode == 2
    assert f"scrapy: error: {message}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_job_folder_of_another_site_or_a_file_is_a_usage_error(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir()
    (job / "patrol-state.json").write_text('{"site": "bazaar", "status": "running"}')
    result = _scrapy(tmp_path, "crawl", "marketplace", "-a", "site=taoji", "-a", f"job_dir={job}")
    assert result.returncode == 2
    assert f"scrapy: error: job folder {job} belongs to a patrol of 'bazaar', not 'taoji'" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a job folder")
    result = _scrapy(
        tmp_path, "crawl", "marketplace", "-a", "site=taoji", "-a", f"job_dir={a_file}"
    )
    assert result.returncode == 2
    assert f"scrapy: error: cannot use job folder {a_file}: it is a file" in result.stderr
    assert "Traceback" not in result.stderr
    assert a_file.read_text() == "not a job folder"


def test_an_unknown_spider_is_a_usage_error_that_lists_the_spiders(tmp_path: Path) -> None:
    result = _scrapy(tmp_path, "crawl", "nosuch")
    assert result.returncode == 2
    assert "scrapy: error: no spider 'nosuch' (spiders: marketplace)" in result.stderr
    assert "Traceback" not in result.stderr
