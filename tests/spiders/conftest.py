"""Fixtures for patrol tests: a patrol home with a migrated database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spiders.patrolrun import PatrolHome


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PatrolHome:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    patrol_home = PatrolHome(tmp_path)
    monkeypatch.setenv("PATROL_DATABASE_URL", patrol_home.database_url)
    return patrol_home
