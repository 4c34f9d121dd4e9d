"""Period counts from the index alone: the dashboard's year-to-date figures, its twelve-month
charts and the year in review count findings by time and category, rectifications closed and
opened in a period, and submitted rounds by kind. Each index starts with the time column (one
range per month) and holds the filters and the grouped column, so those counts read no table rows.

Revision ID: b7e3d2a9c4f1
Revises: d1612726648e
"""

from __future__ import annotations

from alembic import op

revision = "b7e3d2a9c4f1"
down_revision = "d1612726648e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_finding_found_category", "finding", ["found_at", "category", "site_id"])
    op.create_index(
        "ix_rectification_closed_counts",
        "rectification",
        ["closed_on", "status", "closed_on_time", "site_id"],
    )
    op.create_index(
        "ix_rectification_opened_counts", "rectification", ["opened_on", "status", "site_id"]
    )
    op.create_index(
        "ix_inspection_submitted_counts",
        "inspection",
        ["submitted_at", "status", "kind", "site_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_inspection_submitted_counts", table_name="inspection")
    op.drop_index("ix_rectification_opened_counts", table_name="rectification")
    op.drop_index("ix_rectification_closed_counts", table_name="rectification")
    op.drop_index("ix_finding_found_category", table_name="finding")
