"""The Alembic migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from compliance.db import db
from compliance.migrate import upgrade


def _include(obj, name, type_, reflected, compare_to):
    return not (
        type_ == "table" and name and (name.startswith("sqlite_") or name == "alembic_version")
    )


def test_migrations_match_the_models(fresh_app):
    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _include}
            )
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_is_repeatable_and_installs_audit_guards(fresh_app):
    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade()
        upgrade()  # already at head: nothing to do, no error
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_event (at, actor_name, action, entity_type, prev_hash, hash) "
                    "VALUES (CURRENT_TIMESTAMP, 'system', 'x', 'y', 'p', 'h')"
                )
            )
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_event SET action = 'changed'"))
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_event"))


def test_upgrade_rehashes_an_unkeyed_audit_chain_with_the_key(fresh_app):
    """A trail written before the chain was keyed verifies after the upgrade."""
    import hashlib
    from datetime import datetime

    from compliance.audit import verify_chain
    from compliance.audit_chain import GENESIS, canonical

    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade(revision="b2204d084976")
        prev = GENESIS
        with db.engine.begin() as conn:
            for n in range(3):
                row = {
                    "at": datetime(2026, 1, 1, 8, n),
                    "actor_id": None,
                    "actor_name": "system",
                    "action": "thing.create",
                    "entity_type": "Thing",
                    "entity_id": str(n),
                    "before": None,
                    "after": {"n": n},
                    "reason": None,
                    "prev_hash": prev,
                }
                digest = hashlib.sha256(canonical(type("Row", (), row))).hexdigest()
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_event (at, actor_id, actor_name, action, entity_type, "
                        "entity_id, after, prev_hash, hash) VALUES (:at, NULL, 'system', "
                        ":action, 'Thing', :entity_id, :after, :prev_hash, :hash)"
                    ),
                    {**row, "after": f'{{"n": {n}}}', "hash": digest},
                )
                prev = digest
        upgrade()
        result = verify_chain(db.session)
        assert result.ok and result.checked == 3, result


def test_upgraded_database_accepts_the_leader_role_and_refuses_unknown_ones(fresh_app):
    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_account (username, display_name, password_hash, is_active, "
                    "all_sites, email_opt_out, created_at, password_changed_at) VALUES ('boss', "
                    "'boss', 'x', true, true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            user_id = conn.scalar(sa.text("SELECT id FROM user_account WHERE username = 'boss'"))
            conn.execute(
                sa.text("INSERT INTO user_role (user_id, role) VALUES (:u, 'leader')"),
                {"u": user_id},
            )
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO user_role (user_id, role) VALUES (:u, 'bogus')"),
                {"u": user_id},
            )
