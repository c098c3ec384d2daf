"""The leads database: schema, migrations, opening it, and reading registries from it.

``open_database()`` gives the engine and a session factory for
:func:`patrol.config.database_url` (SQLite by default, PostgreSQL via
``PATROL_DATABASE_URL``); ``upgrade_database()`` (``patrol db upgrade``) applies the
Alembic migrations; ``registry_snapshot()`` reads what screening may know.

Modules: :mod:`~patrol.db.models` (the schema), :mod:`~patrol.db.engine` (opening it),
:mod:`~patrol.db.migrate` (Alembic), :mod:`~patrol.db.store` and
:mod:`~patrol.db.leadwriter` (what patrols write), :mod:`~patrol.db.runs` (the run
recorder extension), :mod:`~patrol.db.snapshot` (registries for screening).
"""

from __future__ import annotations

from patrol.db.engine import Database, open_database
from patrol.db.migrate import upgrade_database
from patrol.db.snapshot import registry_snapshot

__all__ = ["Database", "open_database", "registry_snapshot", "upgrade_database"]
