"""Card top-ups through Stripe, and the Stripe events applied (each exactly once).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE card_topups (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE,
            wallet_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            status text NOT NULL CHECK (status IN ('requires_payment', 'succeeded', 'failed',
                'refunded', 'refund_required', 'refund_shortfall')),
            stripe_payment_intent_id text UNIQUE,
            entry_id bigint,
            refund_entry_id bigint,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id),
            FOREIGN KEY (coin_id, refund_entry_id) REFERENCES entries (coin_id, id),
            CHECK ((status IN ('succeeded', 'refunded', 'refund_shortfall'))
                   = (entry_id IS NOT NULL))
        );

        -- Every Stripe event we applied; the primary key applies each one once.
        CREATE TABLE stripe_events (
            event_id text PRIMARY KEY,
            coin_id bigint,
            type text NOT NULL,
            received_at timestamptz NOT NULL
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE stripe_events, card_topups")
