"""Group channels (WeCom / DingTalk robots) and their send queue; the notification archive;
inbox indexes that serve the unread count and both halves of the inbox in order.

Revision ID: 70520b6ca3e1
Revises: ccbf51538aa7
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "70520b6ca3e1"
down_revision = "ccbf51538aa7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("webhook_enc", sa.Text(), nullable=False),
        sa.Column("webhook_hint", sa.String(length=120), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("include_children", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('wecom', 'dingtalk')", name=op.f("ck_group_channel_kind_valid")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_group_channel_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_group_channel_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_channel")),
    )
    with op.batch_alter_table("group_channel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_channel_site_id"), ["site_id"], unique=False)

    op.create_table(
        "notification_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_archive_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_archive")),
    )
    with op.batch_alter_table("notification_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_archive_user_created", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "group_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("attempt_log", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'expired', 'skipped')",
            name=op.f("ck_group_send_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["group_channel.id"],
            name=op.f("fk_group_send_channel_id_group_channel"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_group_send_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_send")),
        sa.UniqueConstraint(
            "channel_id", "dedupe_key", name=op.f("uq_group_send_channel_id_dedupe_key")
        ),
    )
    with op.batch_alter_table("group_send", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_send_channel_created", ["channel_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_group_send_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_group_send_due", ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_user_unread"))
        batch_op.create_index(
            "ix_notification_user_unread", ["user_id", "read_at", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_notification_user_created", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_created")
        batch_op.drop_index("ix_notification_user_unread")
        batch_op.create_index(
            batch_op.f("ix_notification_user_unread"), ["user_id", "read_at"], unique=False
        )

    with op.batch_alter_table("group_send", schema=None) as batch_op:
        batch_op.drop_index("ix_group_send_due")
        batch_op.drop_index(batch_op.f("ix_group_send_created_at"))
        batch_op.drop_index("ix_group_send_channel_created")

    op.drop_table("group_send")
    with op.batch_alter_table("notification_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_archive_user_created")

    op.drop_table("notification_archive")
    with op.batch_alter_table("group_channel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_channel_site_id"))

    op.drop_table("group_channel")
