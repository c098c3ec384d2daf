"""Where Listing Patrol keeps its files and which database it uses.

Everything lives under one home folder (``PATROL_HOME``, default: the current directory),
so a clone of the repository is a working installation and a test can point the whole
system at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "LARGEST_ID",
    "PROJECT_ROOT",
    "database_url",
    "default_rules_dir",
    "evidence_dir",
    "home",
    "var_dir",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: the largest id a row can have: the key columns are 32-bit ``INTEGER`` on PostgreSQL (a
#: bigger id cannot exist, and one past 64 bits cannot even be sent to SQLite)
LARGEST_ID = 2**31 - 1


def home() -> Path:
    """The folder that holds ``var/`` (``PATROL_HOME``, else the current directory)."""
    return Path(os.environ.get("PATROL_HOME") or os.getcwd()).resolve()


def var_dir() -> Path:
    """Runtime state: the SQLite database, evidence, job folders, reports."""
    return home() / "var"


def evidence_dir() -> Path:
    """Evidence files, stored by content hash (``PATROL_EVIDENCE_DIR`` overrides)."""
    configured = os.environ.get("PATROL_EVIDENCE_DIR")
    return Path(configured).resolve() if configured else var_dir() / "evidence"


def database_url() -> str:
    """``PATROL_DATABASE_URL`` if set, else the embedded SQLite database under ``var/``."""
    return os.environ.get("PATROL_DATABASE_URL") or f"sqlite:///{var_dir() / 'patrol.db'}"


def default_rules_dir() -> Path:
    """The rulebook to load when none is named (``PATROL_RULES``, else ``rules/``)."""
    configured = os.environ.get("PATROL_RULES")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "rules"
