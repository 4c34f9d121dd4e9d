"""Spot checks signed by every drawn inspector (opening and signature times, device, remark, the
failures each signature covered), who marked each failure, and plausibility flags on rounds.

Submitted spot checks from before this revision were completed by one inspector: that inspector
(the actor of the `inspection.submit` audit event) is recorded as the one signature, so lists and
ledgers keep crediting exactly who took part.

Revision ID: f7a2c9e4d158
Revises: e5c1a7d0b342
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f7a2c9e4d158"
down_revision = "e5c1a7d0b342"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspection_inspector") as batch:
        batch.add_column(sa.Column("opened_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("signed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("device_signed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("signature_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("signed_result_ids", sa.JSON(), nullable=True))
    with op.batch_alter_table("check_result") as batch:
        batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_check_result_recorded_by_id_user_account"),
            "user_account",
            ["recorded_by_id"],
            ["id"],
        )
    op.create_table(
        "inspection_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "code IN ('too_fast', 'far_from_site')", name=op.f("ck_inspection_flag_code_valid")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_flag_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_flag")),
        sa.UniqueConstraint(
            "inspection_id", "code", name=op.f("uq_inspection_flag_inspection_id_code")
        ),
    )
    with op.batch_alter_table("inspection_flag") as batch:
        batch.create_index(batch.f("ix_inspection_flag_created_at"), ["created_at"], unique=False)
    # The one inspector who completed a spot check before signatures existed.
    op.execute(
        """
        UPDATE inspection_inspector SET
            opened_at = (SELECT i.started_at FROM inspection i
                         WHERE i.id = inspection_inspector.inspection_id),
            signed_at = (SELECT i.submitted_at FROM inspection i
                         WHERE i.id = inspection_inspector.inspection_id)
        WHERE EXISTS (SELECT 1 FROM inspection i
                      WHERE i.id = inspection_inspector.inspection_id
                        AND i.status = 'submitted')
          AND user_id = (SELECT a.actor_id FROM audit_event a
                         WHERE a.action = 'inspection.submit'
                           AND a.entity_type = 'Inspection'
                           AND a.entity_id = CAST(inspection_inspector.inspection_id AS VARCHAR(64))
                         ORDER BY a.id DESC LIMIT 1)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("inspection_flag") as batch:
        batch.drop_index(batch.f("ix_inspection_flag_created_at"))
    op.drop_table("inspection_flag")
    with op.batch_alter_table("check_result") as batch:
        batch.drop_constraint(
            batch.f("fk_check_result_recorded_by_id_user_account"), type_="foreignkey"
        )
        batch.drop_column("recorded_by_id")
    with op.batch_alter_table("inspection_inspector") as batch:
        for column in (
            "signed_result_ids",
            "signature_note",
            "user_agent",
            "device_signed_at",
            "signed_at",
            "opened_at",
        ):
            batch.drop_column(column)
