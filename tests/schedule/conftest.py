from __future__ import annotations

from pathlib import Path

import pytest

from patrol.db import upgrade_database


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATROL_HOME with a migrated SQLite database."""
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'patrol.db'}"
    monkeypatch.setenv("PATROL_DATABASE_URL", url)
    upgrade_database(url)
    return tmp_path
