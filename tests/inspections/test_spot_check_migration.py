"""Upgrading a database with spot checks submitted before signatures existed: the inspector who
submitted (the actor of the audit event) becomes the one signature, so lists and ledgers keep
crediting exactly who took part."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.migrate import upgrade

BEFORE_SIGNATURES = "e5c1a7d0b342"


def test_the_upgrade_credits_the_inspector_who_submitted_a_spot_check(fresh_app):
    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade(revision=BEFORE_SIGNATURES)
        with db.engine.begin() as conn:
            users = []
            for name in ("lead", "second"):
                conn.execute(
                    sa.text(
                        "INSERT INTO user_account (username, display_name, password_hash, "
                        "is_active, all_sites, email_opt_out, created_at, password_changed_at) "
                        "VALUES (:n, :n, 'x', true, true, false, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"n": name},
                )
                users.append(
                    conn.scalar(
                        sa.text("SELECT id FROM user_account WHERE username = :n"), {"n": name}
                    )
                )
            conn.execute(
                sa.text(
                    "INSERT INTO site (code, name, kind, timezone, is_active, created_at) "
                    "VALUES ('S1', '中心', 'centre', 'Asia/Shanghai', true, CURRENT_TIMESTAMP)"
                )
            )
            site_id = conn.scalar(sa.text("SELECT id FROM site WHERE code = 'S1'"))
            checks = {}
            for key, status in (("done", "submitted"), ("open", "draft")):
                conn.execute(
                    sa.text(
                        "INSERT INTO inspection (uuid, kind, status, site_id, inspector_id, "
                        "started_at, submitted_at, created_at, failure_count) VALUES (:u, "
                        "'spot_check', :s, :site, :lead, '2026-03-02 01:00:00', :sub, "
                        "'2026-03-02 00:50:00', 0)"
                    ),
                    {
                        "u": f"00000000-0000-0000-0000-00000000000{len(checks)}",
                        "s": status,
                        "site": site_id,
                        "lead": users[0],
                        "sub": "2026-03-02 01:20:00" if status == "submitted" else None,
                    },
                )
                checks[key] = conn.scalar(sa.text("SELECT max(id) FROM inspection"))
                for position, user_id in enumerate(users):
                    conn.execute(
                        sa.text(
                            "INSERT INTO inspection_inspector (inspection_id, user_id, position) "
                            "VALUES (:i, :u, :p)"
                        ),
                        {"i": checks[key], "u": user_id, "p": position},
                    )
            conn.execute(
                sa.text(
                    "INSERT INTO audit_event (at, actor_id, actor_name, action, entity_type, "
                    "entity_id, prev_hash, hash) VALUES (CURRENT_TIMESTAMP, :a, 'second', "
                    "'inspection.submit', 'Inspection', :e, 'p', 'h')"
                ),
                {"a": users[1], "e": str(checks["done"])},
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT inspection_id, user_id, signed_at FROM inspection_inspector "
                    "ORDER BY inspection_id, position"
                )
            ).all()
    signed = {(i, u): at for i, u, at in rows}
    assert signed[(checks["done"], users[0])] is None
    assert str(signed[(checks["done"], users[1])]).startswith("2026-03-02 01:20:00")
    assert signed[(checks["open"], users[0])] is None and signed[(checks["open"], users[1])] is None
