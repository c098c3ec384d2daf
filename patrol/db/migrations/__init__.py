"""Alembic migrations of the Listing Patrol schema (run by ``patrol db upgrade``)."""
