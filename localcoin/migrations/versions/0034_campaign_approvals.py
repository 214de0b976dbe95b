"""Premium campaigns under four eyes, and named after the key that opened them.

A campaign's premium (face value less price, times the units on sale) is coin
the municipality creates. Above the coin's approval threshold the campaign
waits for a second municipality key, like a top-up or a points grant; either
way the campaign records the key that asked for it.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE approvals DROP CONSTRAINT approvals_kind_check,
            ADD CONSTRAINT approvals_kind_check
                CHECK (kind IN ('topup', 'points_grant', 'premium_campaign'));
        ALTER TABLE premium_campaigns ADD COLUMN created_by bigint,
            ADD FOREIGN KEY (coin_id, created_by) REFERENCES api_keys (coin_id, id);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE premium_campaigns DROP COLUMN created_by;
        DELETE FROM approvals WHERE kind = 'premium_campaign';
        ALTER TABLE approvals DROP CONSTRAINT approvals_kind_check,
            ADD CONSTRAINT approvals_kind_check CHECK (kind IN ('topup', 'points_grant'));
        """
    )
