"""Shared fixtures: the default rulebook (compiled once) and a listing factory."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from patrol.items import Listing
from patrol.screening import Rulebook, load_rulebook

RULES = Path(__file__).resolve().parents[2] / "rules"


def write_rulebook(tmp_path: Path, text: str) -> Path:
    """A rulebook folder under ``tmp_path`` holding one file, ``book.yaml``, of ``text``."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "book.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def _patrol_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.delenv("PATROL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PATROL_RULES", raising=False)


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook(RULES)


def make_listing(title: str | None, price: str | None = None, **fields: Any) -> Listing:
    """A listing as a spider would yield it (CNY unless ``currency`` says otherwise)."""
    fields.setdefault("currency", "CNY")
    return Listing(
        marketplace=fields.pop("marketplace", "taoji"),
        listing_id=fields.pop("listing_id", "1"),
        url="http://127.0.0.1/item/1",
        title=title,
        price=Decimal(price) if price is not None else None,
        **fields,
    )
