"""Payment intents: booking and counter systems asking a resident to pay (or hold) an amount.

An intent is created unpaid with a dynamic QR; a resident pays it once. An
automatic intent becomes a charge at once; a manual one places a hold on the
resident's wallet that the merchant captures (all or part) or cancels before
``capture_before``. The CHECKs tie each status to the columns it needs, so no
bug above can mark an intent paid without its charge, or held without its hold.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE payment_intents (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            -- At most 25 characters: it rides in the QR's EMVCo reference label (62/05).
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^pi_[A-Za-z0-9]{16,22}$'),
            merchant_id bigint NOT NULL,
            terminal_id bigint,
            amount bigint NOT NULL CHECK (amount > 0),
            -- The caller's booking or certificate number.
            reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
            description text CHECK (length(description) BETWEEN 1 AND 500),
            capture_method text NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
            status text NOT NULL DEFAULT 'requires_payment' CHECK (status IN
                ('requires_payment', 'requires_capture', 'succeeded', 'canceled', 'expired')),
            qr_payload text NOT NULL CHECK (length(qr_payload) BETWEEN 1 AND 512),
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
            wallet_id bigint,
            paid_at timestamptz,
            capture_before timestamptz,
            hold_id bigint,
            charge_id bigint,
            amount_captured bigint CHECK (amount_captured > 0 AND amount_captured <= amount),
            canceled_at timestamptz,
            cancellation_reason text CHECK (cancellation_reason IN
                ('requested_by_merchant', 'abandoned', 'duplicate', 'capture_expired')),
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, terminal_id) REFERENCES terminals (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, hold_id) REFERENCES holds (coin_id, id),
            FOREIGN KEY (coin_id, charge_id) REFERENCES charges (coin_id, id),
            UNIQUE (coin_id, hold_id),
            UNIQUE (coin_id, charge_id),
            -- Only a manual intent holds; paid means a payer and a time.
            CHECK (hold_id IS NULL OR capture_method = 'manual'),
            CHECK ((wallet_id IS NULL) = (paid_at IS NULL)),
            CHECK ((hold_id IS NULL) = (capture_before IS NULL)),
            CHECK ((canceled_at IS NULL) = (cancellation_reason IS NULL)),
            CHECK ((charge_id IS NULL) = (amount_captured IS NULL)),
            CONSTRAINT payment_intents_status_columns CHECK (CASE status
                WHEN 'requires_payment' THEN wallet_id IS NULL AND hold_id IS NULL
                    AND charge_id IS NULL AND canceled_at IS NULL
                WHEN 'requires_capture' THEN wallet_id IS NOT NULL AND hold_id IS NOT NULL
                    AND charge_id IS NULL AND canceled_at IS NULL
                WHEN 'succeeded' THEN wallet_id IS NOT NULL AND charge_id IS NOT NULL
                    AND canceled_at IS NULL
                    AND (capture_method = 'manual' OR amount_captured = amount)
                WHEN 'canceled' THEN charge_id IS NULL AND canceled_at IS NOT NULL
                WHEN 'expired' THEN wallet_id IS NULL AND hold_id IS NULL
                    AND charge_id IS NULL AND canceled_at IS NULL
                ELSE false
            END)
        );
        CREATE INDEX payment_intents_merchant ON payment_intents (coin_id, merchant_id, id DESC);
        CREATE INDEX payment_intents_reference ON payment_intents (coin_id, merchant_id, reference);
        -- The sweeper's two queues.
        CREATE INDEX payment_intents_unpaid ON payment_intents (coin_id, expires_at)
            WHERE status = 'requires_payment';
        CREATE INDEX payment_intents_held ON payment_intents (coin_id, capture_before)
            WHERE status = 'requires_capture';
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE payment_intents")
