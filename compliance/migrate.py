"""Schema migrations through Alembic (`compliance init-db` upgrades to the latest)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection=None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection=None, revision: str = "head") -> None:
    """Upgrade the database (inside an app context, or on the given connection)."""
    command.upgrade(alembic_config(connection), revision)


def revision(message: str) -> None:
    """Autogenerate a new revision from the models (developers only)."""
    command.revision(alembic_config(), message=message, autogenerate=True)
