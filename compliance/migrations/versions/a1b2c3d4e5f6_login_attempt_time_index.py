"""Sign-in attempts by time: the admin dashboard's recent refusals and locked accounts read the
last hours through an index instead of scanning every attempt ever kept.

Revision ID: a1b2c3d4e5f6
Revises: dd8ca9ce6789
"""

from __future__ import annotations

from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = "dd8ca9ce6789"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_at", table_name="login_attempt")
