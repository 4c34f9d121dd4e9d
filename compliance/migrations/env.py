"""Alembic environment: runs inside the Flask app context and uses the app's engine."""

from __future__ import annotations

from alembic import context
from flask import current_app

from compliance.db import db

config = context.config
target_metadata = db.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # SQLite keeps its own internal tables; never diff them.
    return not (type_ == "table" and name and name.startswith("sqlite_"))


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        with current_app.app_context():
            engine = db.engine
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
