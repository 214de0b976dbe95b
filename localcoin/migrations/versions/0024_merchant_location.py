"""Where a merchant is: its postal code and city, and its JPQR store id if it has one.

JPQR stickers carry the postal code (tag 61) and the city (tag 60); the store
id is the one the JPQR scheme gave the shop. All three are optional for
merchants onboarded before they were asked for.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE merchants
            ADD COLUMN postal_code text CHECK (postal_code ~ '^[0-9]{7}$'),
            ADD COLUMN city text CHECK (length(city) BETWEEN 1 AND 100),
            ADD COLUMN jpqr_store_id text CHECK (jpqr_store_id ~ '^[0-9A-Za-z]{1,32}$');
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE merchants DROP COLUMN jpqr_store_id, DROP COLUMN city, DROP COLUMN postal_code"
    )
