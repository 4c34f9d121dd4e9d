"""Counting the SQL statements a block sends (for "the same statements whatever the data")."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from compliance.db import db


@contextlib.contextmanager
def count_statements():
    """Counts the SQL statements sent inside the block: `with count_statements() as c: ...`,
    then `c["n"]`."""
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


class Counted:
    count = 0


@contextlib.contextmanager
def count_queries():
    """Like `count_statements`, without the savepoints a test's transaction adds:
    `with count_queries() as c: ...`, then `c.count`."""
    counter = Counted()

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            counter.count += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
