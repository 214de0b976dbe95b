"""Partial card refunds: how much of a card top-up has been taken back so far.

Stripe's ``charge.refunded`` carries the charge's cumulative ``amount_refunded``;
each event takes back the difference from what is recorded here.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE card_topups
            ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0
                CHECK (refunded_amount >= 0 AND refunded_amount <= amount);
        UPDATE card_topups SET refunded_amount = amount WHERE status = 'refunded';
        CREATE INDEX card_topups_wallet_created ON card_topups (coin_id, wallet_id, created_at);
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP INDEX card_topups_wallet_created; ALTER TABLE card_topups DROP COLUMN refunded_amount"
    )
