"""The command line: ground truth and registry files, and one-line errors for bad input."""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.marketplaces import ground_truth


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from patrol.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_truth_writes_the_labelled_corpus(tmp_path: Path) -> None:
    out = tmp_path / "taoji.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "marketplaces",
            "truth",
            "--site",
            "taoji",
            "--seed",
            "3",
            "--listings",
            "120",
            "--hour",
            "6",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == list(ground_truth("taoji", 3, 120, hour=6.0))
    assert len(rows) > 80


def test_registry_writes_the_three_csv_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["marketplaces", "registry", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "fixture" in result.output
    with (tmp_path / "trademarks.csv").open(encoding="utf-8") as fh:
        marks = list(csv.DictReader(fh))
    assert list(marks[0]) == [
        "office",
        "mark",
        "application_number",
        "application_date",
        "registration_number",
        "registration_date",
        "status",
        "nice_classes",
        "goods",
        "holder",
    ]
    nike = [m for m in marks if m["mark"] in ("NIKE", "耐克")]
    assert nike and all(m["nice_classes"].startswith("025") for m in nike)
    with (tmp_path / "patents.csv").open(encoding="utf-8") as fh:
        patents = list(csv.DictReader(fh))
    assert {p["status"] for p in patents} == {"in_force", "expired"}
    assert {p["kind"] for p in patents} == {"invention", "utility_model", "design"}
    with (tmp_path / "authorised_sellers.csv").open(encoding="utf-8") as fh:
        sellers = list(csv.DictReader(fh))
    assert {s["kind"] for s in sellers} == {"official", "authorised"}
    assert {s["marketplace"] for s in sellers} == {"taoji", "kuaigou", "bazaar"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["marketplaces", "serve", "--site", "amazon"], ["unknown marketplace", "amazon"]),
        (["marketplaces", "truth", "--site", "ebay"], ["unknown marketplace", "ebay"]),
        (["marketplaces", "serve", "--site", "taoji", "--listings", "-5"], ["--listings", "-5"]),
        (["marketplaces", "truth", "--site", "taoji", "--listings", "-1"], ["--listings"]),
        (["marketplaces", "serve", "--port", "9999"], ["--port needs --site"]),
        (["marketplaces", "serve", "--site", "taoji", "--hour", "25"], ["--hour"]),
        (
            ["marketplaces", "serve", "--site", "taoji", "--faults", "nosuch"],
            ["unknown faults preset", "nosuch"],
        ),
    ],
)
def test_bad_arguments(args: list[str], words: list[str]) -> None:
    _assert_one_line_error(_run(*args), *words)


def test_busy_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("marketplaces", "serve", "--site", "bazaar", "--port", str(port))
    _assert_one_line_error(result, str(port), "busy")


def test_unreadable_and_broken_faults_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    _assert_one_line_error(
        _run("marketplaces", "serve", "--site", "taoji", "--faults", str(missing)),
        "cannot read faults file",
        "missing.yaml",
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("error_rate: [0.1\n", encoding="utf-8")
    _assert_one_line_error(
        _run("marketplaces", "serve", "--site", "taoji", "--faults", str(broken)),
        "broken.yaml:",
        "YAML",
    )
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    _assert_one_line_error(
        _run("marketplaces", "serve", "--site", "taoji", "--faults", str(binary)),
        "binary.yaml",
    )
