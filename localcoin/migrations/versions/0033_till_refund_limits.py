"""Per merchant: how old a charge, and how large a refund, a till's own key may refund.

Until now one window (7 days) and one ceiling (10,000) held for every shop. A
bakery and a furniture store refund differently; each merchant sets its own,
within bounds (a till never refunds charges older than 90 days).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE merchants
            ADD COLUMN till_refund_days integer NOT NULL DEFAULT 7
                CHECK (till_refund_days BETWEEN 0 AND 90),
            ADD COLUMN till_refund_max bigint NOT NULL DEFAULT 10000
                CHECK (till_refund_max >= 0);
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE merchants DROP COLUMN till_refund_max, DROP COLUMN till_refund_days")
