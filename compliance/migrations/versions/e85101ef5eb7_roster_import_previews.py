"""Roster import previews: an uploaded roster's plan, stored under a token with the file's hash
until it is confirmed (then applied as shown, in the request or by the background job).

Revision ID: e85101ef5eb7
Revises: f7a2c9e4d158
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e85101ef5eb7"
down_revision = "f7a2c9e4d158"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("to_create", sa.Integer(), nullable=False),
        sa.Column("to_change", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "status IN ('preview', 'queued', 'applied', 'failed')",
            name=op.f("ck_roster_import_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_roster_import_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_import")),
        sa.UniqueConstraint("token", name=op.f("uq_roster_import_token")),
    )
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_import_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roster_import_uploaded_by_id"), ["uploaded_by_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_import_uploaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_roster_import_status"))

    op.drop_table("roster_import")
