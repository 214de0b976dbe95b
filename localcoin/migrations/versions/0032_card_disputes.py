"""Card top-ups under dispute: what is left of one is frozen until the dispute ends.

A resident who tops up by card and then disputes the charge could otherwise
spend the coin while the card network takes the yen back. ``charge.dispute.created``
places a ledger hold (``dispute_hold_id``) on the wallet for what is left of the
top-up; a dispute won releases it, a dispute lost takes that coin back
(``charged_back``), or flags the shortfall if it was spent before the dispute.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE card_topups
            DROP CONSTRAINT card_topups_status_check,
            DROP CONSTRAINT card_topups_check,
            ADD COLUMN dispute_hold_id bigint,
            ADD COLUMN disputed_at timestamptz,
            ADD CONSTRAINT card_topups_status_check CHECK (status IN ('requires_payment',
                'succeeded', 'failed', 'refunded', 'refund_required', 'refund_shortfall',
                'disputed', 'charged_back')),
            ADD CONSTRAINT card_topups_check CHECK ((status IN ('succeeded', 'refunded',
                'refund_shortfall', 'disputed', 'charged_back')) = (entry_id IS NOT NULL)),
            ADD CONSTRAINT card_topups_dispute_hold CHECK ((status = 'disputed')
                <= (disputed_at IS NOT NULL)),
            ADD FOREIGN KEY (coin_id, dispute_hold_id) REFERENCES holds (coin_id, id);
        CREATE INDEX card_topups_attention ON card_topups (coin_id, updated_at)
            WHERE status IN ('refund_required', 'refund_shortfall', 'disputed');
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX card_topups_attention;
        ALTER TABLE card_topups
            DROP CONSTRAINT card_topups_dispute_hold,
            DROP CONSTRAINT card_topups_status_check,
            DROP CONSTRAINT card_topups_check,
            DROP COLUMN disputed_at,
            DROP COLUMN dispute_hold_id,
            ADD CONSTRAINT card_topups_status_check CHECK (status IN ('requires_payment',
                'succeeded', 'failed', 'refunded', 'refund_required', 'refund_shortfall')),
            ADD CONSTRAINT card_topups_check CHECK ((status IN ('succeeded', 'refunded',
                'refund_shortfall')) = (entry_id IS NOT NULL));
        """
    )
