"""Refunds, merchant-to-merchant transfers (BtoB), merchants paying residents.

- ``refunds``: each refund of a charge, with the fee it gave back. The charge
  row carries running totals (``refunded`` and the new ``fee_refunded``), and
  CHECKs on it keep both within the charge, so no bug can refund more than
  was paid or give back more fee than was taken.
- ``merchant_transfers``: BtoB; the receiver gets ``amount - fee``.
- ``resident_payments``: change or cash-back a merchant pays a resident, only
  where the coin's ``merchant_to_resident_allowed`` rule is on (off by
  default: the Payment Services Act bans refunds of coin to residents in
  principle, and giving change counts as one).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE charges
            ADD COLUMN fee_refunded bigint NOT NULL DEFAULT 0,
            ADD CONSTRAINT charges_fee_refunded_within_fee
                CHECK (fee_refunded >= 0 AND fee_refunded <= fee),
            ADD CONSTRAINT charges_fee_refunded_within_refunded
                CHECK (fee_refunded <= refunded);

        CREATE TABLE refunds (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^re_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            charge_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            fee_refunded bigint NOT NULL CHECK (fee_refunded >= 0 AND fee_refunded <= amount),
            reason text CHECK (length(reason) BETWEEN 1 AND 200),
            terminal_id bigint,
            entry_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, entry_id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, charge_id) REFERENCES charges (coin_id, id),
            FOREIGN KEY (coin_id, terminal_id) REFERENCES terminals (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX refunds_charge ON refunds (coin_id, charge_id);
        CREATE INDEX refunds_merchant ON refunds (coin_id, merchant_id, id DESC);

        CREATE TABLE merchant_transfers (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^mtr_[A-Za-z0-9]{16,32}$'),
            from_merchant_id bigint NOT NULL,
            to_merchant_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            -- The receiver gets amount - fee, which is never nothing.
            fee bigint NOT NULL CHECK (fee >= 0 AND fee < amount),
            entry_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, entry_id),
            CHECK (from_merchant_id <> to_merchant_id),
            FOREIGN KEY (coin_id, from_merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, to_merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX merchant_transfers_from
            ON merchant_transfers (coin_id, from_merchant_id, id DESC);
        CREATE INDEX merchant_transfers_to ON merchant_transfers (coin_id, to_merchant_id, id DESC);

        ALTER TABLE coin_rules
            ADD COLUMN merchant_to_resident_allowed boolean NOT NULL DEFAULT false;

        CREATE TABLE resident_payments (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^rpy_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            wallet_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            reason text NOT NULL CHECK (reason IN ('change', 'cashback')),
            entry_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, entry_id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX resident_payments_merchant
            ON resident_payments (coin_id, merchant_id, id DESC);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE resident_payments, merchant_transfers, refunds;
        ALTER TABLE coin_rules DROP COLUMN merchant_to_resident_allowed;
        ALTER TABLE charges DROP CONSTRAINT charges_fee_refunded_within_refunded,
            DROP CONSTRAINT charges_fee_refunded_within_fee, DROP COLUMN fee_refunded;
        """
    )
