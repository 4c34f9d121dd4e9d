"""The audit trail's hash chain becomes keyed (HMAC-SHA256 with AUDIT_KEY).

Events hashed with plain SHA-256 before this revision are checked once more with the old rule
and then re-hashed with the key, so the whole chain verifies under the new rule. A chain that is
already broken is not re-hashed (that would hide the damage): the upgrade stops and says where.

Revision ID: c3a91f0e7d21
Revises: b2204d084976
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "c3a91f0e7d21"
down_revision = "b2204d084976"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from compliance.audit_chain import CHAIN_FIELDS, GENESIS, canonical, rehash_all
    from compliance.models import AuditEvent, install_audit_guards

    connection = op.get_bind()
    table = AuditEvent.__table__
    columns = [table.c.id, table.c.hash] + [table.c[f] for f in CHAIN_FIELDS]
    prev = GENESIS
    rows = connection.execute(sa.select(*columns).order_by(table.c.id)).all()
    if not rows:
        return
    for row in rows:
        if row.prev_hash != prev or hashlib.sha256(canonical(row)).hexdigest() != row.hash:
            raise RuntimeError(
                f"The audit trail is broken at event {row.id} (unkeyed chain); it is not re-hashed "
                "so the damage stays visible. Investigate before upgrading."
            )
        prev = row.hash
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
    else:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
    rehash_all(connection, str(current_app.config["AUDIT_KEY"]).encode())
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
    else:
        install_audit_guards(connection)


def downgrade() -> None:
    # The unkeyed chain cannot be restored without re-hashing; the keyed one stays.
    pass
