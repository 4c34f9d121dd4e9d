"""Site coordinates (latitude, longitude): where the building is, for the plausibility of rounds.

Revision ID: e5c1a7d0b342
Revises: 70520b6ca3e1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5c1a7d0b342"
down_revision = "70520b6ca3e1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("latitude", sa.Double(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Double(), nullable=True))
        batch.create_check_constraint(
            "coordinates_valid",
            "(latitude IS NULL AND longitude IS NULL) OR (latitude IS NOT NULL AND longitude "
            "IS NOT NULL AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)",
        )


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.drop_constraint(op.f("ck_site_coordinates_valid"), type_="check")
        batch.drop_column("longitude")
        batch.drop_column("latitude")
