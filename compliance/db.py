"""Database objects shared by every package: the declarative base, the Flask-SQLAlchemy handle and
connection settings (SQLite pragmas)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp is stored as naive UTC on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_check(column: str, values) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")


# How long an SQLite writer waits for the write lock before giving up (503 to a request).
SQLITE_BUSY_TIMEOUT_MS = 10000


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not the driver, decide when transactions begin (SAVEPOINT works).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_sqlite(session_or_bind) -> bool:
    bind = session_or_bind.get_bind() if hasattr(session_or_bind, "get_bind") else session_or_bind
    return bind.dialect.name == "sqlite"
