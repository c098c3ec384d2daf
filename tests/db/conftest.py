from tests.cli.invoke import patrol  # noqa: F401
from tests.db.fixtures import db, db_url, pg_session_url, sqlite_template  # noqa: F401
