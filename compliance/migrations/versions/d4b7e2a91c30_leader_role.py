"""The centre head role (中心负责人: `leader`).

Revision ID: d4b7e2a91c30
Revises: c3a91f0e7d21
"""

from __future__ import annotations

from alembic import op

revision = "d4b7e2a91c30"
down_revision = "c3a91f0e7d21"
branch_labels = None
depends_on = None

OLD = "role IN ('admin', 'inspector', 'hr', 'discipline', 'staff')"
NEW = "role IN ('admin', 'inspector', 'hr', 'discipline', 'leader', 'staff')"


def _replace(condition: str) -> None:
    with op.batch_alter_table("user_role") as batch:
        batch.drop_constraint(op.f("ck_user_role_role_valid"), type_="check")
        batch.create_check_constraint("role_valid", condition)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM user_role WHERE role = 'leader'")
    _replace(OLD)
