"""Lists by date: indexes serving the filter and the order of the findings and inspections lists
(site or person, then time, then id; newest first is a backward scan), and the same order for
readers of every site. The findings' (site, time) and (person, time) indexes gain the id.

Revision ID: dd8ca9ce6789
Revises: e85101ef5eb7
"""

from __future__ import annotations

from alembic import op

revision = "dd8ca9ce6789"
down_revision = "e85101ef5eb7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_finding_site_found", table_name="finding")
    op.drop_index("ix_finding_staff_found", table_name="finding")
    op.create_index("ix_finding_site_found_id", "finding", ["site_id", "found_at", "id"])
    op.create_index("ix_finding_staff_found_id", "finding", ["staff_member_id", "found_at", "id"])
    op.create_index("ix_finding_found_id", "finding", ["found_at", "id"])
    op.create_index("ix_inspection_site_started_id", "inspection", ["site_id", "started_at", "id"])
    op.create_index("ix_inspection_started_id", "inspection", ["started_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_inspection_started_id", table_name="inspection")
    op.drop_index("ix_inspection_site_started_id", table_name="inspection")
    op.drop_index("ix_finding_found_id", table_name="finding")
    op.drop_index("ix_finding_staff_found_id", table_name="finding")
    op.drop_index("ix_finding_site_found_id", table_name="finding")
    op.create_index("ix_finding_staff_found", "finding", ["staff_member_id", "found_at"])
    op.create_index("ix_finding_site_found", "finding", ["site_id", "found_at"])
