"""Every row of every table, to show that a refused request wrote nothing."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db


def table_rows() -> dict[str, list[str]]:
    """Each table's rows (as sorted reprs), read in the test's transaction."""
    return {
        table.name: sorted(map(repr, db.session.execute(sa.select(table)).all()))
        for table in db.metadata.sorted_tables
    }


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """The tables whose rows differ between two `table_rows()` readings."""
    return [name for name in before if before[name] != after.get(name)]
