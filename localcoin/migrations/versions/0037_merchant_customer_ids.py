"""Merchants see their customers under a per-merchant pseudonym, not a wallet id.

``merchants.customer_key`` is 32 random bytes per merchant (two v4 UUIDs'
122 random bits each, from PostgreSQL's strong random source), the key of
merchant/accounts/customer_ids.py. Existing merchants get one each: a volatile
default is evaluated for every row.

Revision ID: 0037
Revises: 0071
Create Date: 2026-12-04
"""

from alembic import op

revision = "0037"
down_revision = "0071"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE merchants ADD COLUMN customer_key bytea NOT NULL
            DEFAULT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
            CHECK (length(customer_key) = 32);
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE merchants DROP COLUMN customer_key")
