"""Evidence over HTTP: the stored page under its sandbox policy, the screenshot, and
paths that only ever come from the database (and are checked even then).

Runs on SQLite and PostgreSQL, with evidence written by the pipeline's own
:func:`store_evidence` into a folder of the test's own.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from patrol.db import Database
from patrol.db.models import Lead, ListingRow
from patrol.web.config import WebConfig
from patrol.web.views.evidence import EVIDENCE_CSP, stored_evidence
from tests.web.leadworld import page, store_page
from tests.web.server import ConsoleServer, console_server, sign_in

GBK_PAGE = "<html><head><title>耐克</title></head><body><p>正品耐克运动鞋 特价</p></body></html>"


def tiny_png() -> bytes:
    """A valid 1×1 PNG, so a browser could decode it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def server(db_url: str, accounts: dict[str, str], evidence_dir: Path) -> Iterator[ConsoleServer]:
    web = WebConfig.from_env(database_url=db_url, evidence_dir=evidence_dir)
    with console_server(web) as console:
        yield console


@pytest.fixture
def gbk_lead(db: Database, evidence_dir: Path, server: ConsoleServer) -> int:
    return store_page(
        db,
        evidence_dir,
        "gbk1",
        GBK_PAGE.encode("gbk"),
        headers={"Content-Type": "text/html; charset=GBK", "Server": "taoji"},
        screenshot=tiny_png(),
    )


def test_the_stored_page_is_served_inert(server: ConsoleServer, gbk_lead: int) -> None:
    with server.client() as client:
        assert client.get(f"/leads/{gbk_lead}/evidence/page").status_code == 303  # sign in first
        sign_in(client, "li")
        answer = page(client, f"/leads/{gbk_lead}/evidence/page?path=../../etc/passwd")
    assert answer.content == GBK_PAGE.encode("gbk")  # the body as received, GBK
    assert answer.headers["content-type"] == "text/html; charset=GBK"
    assert answer.content.decode("gbk") == GBK_PAGE
    assert answer.headers["content-security-policy"] == EVIDENCE_CSP
    assert EVIDENCE_CSP.startswith("sandbox;") and "default-src 'none'" in EVIDENCE_CSP
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_screenshot_is_served_as_png(server: ConsoleServer, gbk_lead: int) -> None:
    with server.client() as client:
        sign_in(client, "li")
        answer = page(client, f"/leads/{gbk_lead}/evidence/screenshot")
    assert answer.headers["content-type"] == "image/png"
    assert answer.content == tiny_png()


def test_the_lead_page_frames_the_page_in_a_sandbox(server: ConsoleServer, gbk_lead: int) -> None:
    with server.client() as client:
        sign_in(client, "li")
        text = page(client, f"/leads/{gbk_lead}").text
    assert f'<iframe class="evidence" sandbox src="/leads/{gbk_lead}/evidence/page"' in text
    assert "allow-scripts" not in text and "allow-same-origin" not in text
    assert f'<img class="screenshot" src="/leads/{gbk_lead}/evidence/screenshot"' in text
    assert "<dt>HTTP status</dt><dd>200</dd>" in text
    assert "http://127.0.0.1/taoji/item/gbk1" in text


def test_missing_files_are_404_pages(
    server: ConsoleServer, gbk_lead: int, evidence_dir: Path
) -> None:
    for path in evidence_dir.rglob("*"):
        if path.suffix in (".gz", ".png"):
            path.unlink()
    with server.client() as client:
        sign_in(client, "li")
        for kind in ("page", "screenshot"):
            answer = client.get(f"/leads/{gbk_lead}/evidence/{kind}")
            assert answer.status_code == 404 and "Sorry" in answer.text
        assert client.get("/leads/999999/evidence/page").status_code == 404
        text = page(client, f"/leads/{gbk_lead}").text
    assert "The stored page is missing" in text and "<iframe" not in text


def set_path(db: Database, lead_id: int, path: str) -> None:
    with db.sessions.begin() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(evidence_path=path))
        session.execute(update(ListingRow).values(evidence_path=path))


def test_stored_paths_cannot_leave_the_evidence_folder(
    server: ConsoleServer, db: Database, gbk_lead: int, evidence_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.html.gz"
    secret.write_bytes(gzip.compress(b"<p>secret</p>"))
    sha = "e" * 64
    # a file named as evidence, but a symlink to one outside the folder
    (evidence_dir / "ee" / "ee").mkdir(parents=True)
    (evidence_dir / "ee" / "ee" / f"{sha}.html.gz").symlink_to(secret)
    (evidence_dir / "ee" / "ee" / f"{sha}.png").symlink_to(secret)
    hostile = [
        "../secret.html.gz",
        "../../../../../etc/passwd",
        str(secret),
        "ee/ee/../../../secret.html.gz",
        f"../evidence/ee/ee/{sha}.html.gz",
        f"ab/cd/{sha}.html.gz",  # directories that do not match the hash
        f"ee/ee/{sha}.html.gz",  # the symlink
        f"ee/ee/{sha.upper()}.html.gz",
        f"ee/ee/{sha}.html.gz\n",
    ]
    with server.client() as client:
        sign_in(client, "li")
        for path in hostile:
            set_path(db, gbk_lead, path)
            for kind in ("page", "screenshot"):
                answer = client.get(f"/leads/{gbk_lead}/evidence/{kind}")
                assert answer.status_code == 404, path
                assert "secret" not in answer.text
            assert "secret" not in page(client, f"/leads/{gbk_lead}").text


def test_stored_evidence_accepts_only_what_the_pipeline_writes(tmp_path: Path) -> None:
    sha = "0123456789abcdef" * 4
    found = stored_evidence(tmp_path, f"01/23/{sha}.html.gz")
    assert found is not None
    assert found.body == (tmp_path / "01" / "23" / f"{sha}.html.gz").resolve()
    assert found.screenshot == (tmp_path / "01" / "23" / f"{sha}.png").resolve()
    assert not found.has_body and found.sidecar == {} and found.charset is None
    for bad in (None, "", f"01/23/{sha}.png", f"01/23/{sha}.json", f"/01/23/{sha}.html.gz"):
        assert stored_evidence(tmp_path, bad) is None
