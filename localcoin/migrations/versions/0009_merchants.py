"""Merchants, their stores and terminals, fee plans, charges, cash-out requests, the webhook outbox.

The tables every part of the acceptance side shares. Keys of merchants and
terminals are rows of api_keys that name their merchant (and terminal).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- Fee rates per coin, in basis points, one row per member group; the
        -- standard rates are the group ''. A merchant may override any rate.
        CREATE TABLE fee_plans (
            coin_id bigint NOT NULL REFERENCES coins (id),
            member_group text NOT NULL CHECK (member_group ~ '^[a-z0-9_]{0,40}$'),
            payment_bp integer NOT NULL CHECK (payment_bp BETWEEN 0 AND 10000),
            cashout_bp integer NOT NULL CHECK (cashout_bp BETWEEN 0 AND 10000),
            btob_bp integer NOT NULL CHECK (btob_bp BETWEEN 0 AND 10000),
            PRIMARY KEY (coin_id, member_group)
        );
        INSERT INTO fee_plans SELECT id, '', 0, 160, 50 FROM coins;

        CREATE TABLE merchants (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^mer_[A-Za-z0-9]{16,32}$'),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            -- Half-width katakana as the Zengin file carries it.
            name_kana text NOT NULL CHECK (length(name_kana) BETWEEN 1 AND 40),
            category text NOT NULL CHECK (category ~ '^[a-z][a-z0-9_]{0,39}$'),
            member_group text NOT NULL DEFAULT '',
            account_id bigint NOT NULL,
            -- The merchant's wallet as the API names it (BtoB, the console).
            wallet_public_id text NOT NULL UNIQUE
                CHECK (wallet_public_id ~ '^wal_[A-Za-z0-9]{16,32}$'),
            bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$'),
            branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
            account_type text NOT NULL CHECK (account_type IN ('ordinary', 'current')),
            account_number text NOT NULL CHECK (account_number ~ '^[0-9]{7}$'),
            holder_kana text NOT NULL CHECK (length(holder_kana) BETWEEN 1 AND 30),
            payment_bp integer CHECK (payment_bp BETWEEN 0 AND 10000),
            cashout_bp integer CHECK (cashout_bp BETWEEN 0 AND 10000),
            btob_bp integer CHECK (btob_bp BETWEEN 0 AND 10000),
            status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, account_id),
            FOREIGN KEY (coin_id, account_id) REFERENCES accounts (coin_id, id),
            FOREIGN KEY (coin_id, member_group) REFERENCES fee_plans (coin_id, member_group)
        );

        CREATE TABLE stores (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^sto_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id)
        );

        CREATE TABLE terminals (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^ter_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            store_id bigint NOT NULL,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            created_at timestamptz NOT NULL,
            disabled_at timestamptz,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, store_id) REFERENCES stores (coin_id, id)
        );

        -- A merchant key names its merchant; a terminal's key names its terminal too.
        ALTER TABLE api_keys
            ADD COLUMN merchant_id bigint,
            ADD COLUMN terminal_id bigint,
            ADD FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            ADD FOREIGN KEY (coin_id, terminal_id) REFERENCES terminals (coin_id, id),
            ADD CHECK ((role = 'merchant') = (merchant_id IS NOT NULL)),
            ADD CHECK (terminal_id IS NULL OR merchant_id IS NOT NULL);

        -- A resident paying a merchant, however the payment was started.
        CREATE TABLE charges (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^ch_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            wallet_id bigint NOT NULL,
            source text NOT NULL
                CHECK (source IN ('payment_token', 'card', 'static_qr', 'payment_intent')),
            terminal_id bigint,
            reference text CHECK (length(reference) BETWEEN 1 AND 100),
            amount bigint NOT NULL CHECK (amount > 0),
            fee bigint NOT NULL CHECK (fee >= 0 AND fee <= amount),
            refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
            entry_id bigint NOT NULL,
            business_date date NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, terminal_id) REFERENCES terminals (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX charges_merchant ON charges (coin_id, merchant_id, id DESC);
        CREATE INDEX charges_day ON charges (coin_id, business_date);

        -- Cash-out requests. The coin is held on the merchant's wallet until the
        -- settlement batch closes and moves it to payable:payout.
        CREATE TABLE payouts (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^po_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            source text NOT NULL CHECK (source IN ('request', 'schedule')),
            amount bigint NOT NULL CHECK (amount > 0),
            hold_id bigint NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'in_batch', 'paid', 'returned', 'canceled')),
            batch_id bigint,
            fee bigint NOT NULL CHECK (fee >= 0 AND fee < amount),
            entry_id bigint,
            return_reason text,
            requested_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX payouts_pending ON payouts (coin_id, status) WHERE status = 'pending';

        -- Events for integrators, written in the transaction of what they report;
        -- the webhook worker delivers them after commit.
        CREATE TABLE webhook_events (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^evt_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            type text NOT NULL CHECK (type ~ '^[a-z_]+\\.[a-z_]+$'),
            data jsonb NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id)
        );
        CREATE INDEX webhook_events_merchant ON webhook_events (coin_id, merchant_id, id);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE webhook_events, payouts, charges;
        ALTER TABLE api_keys DROP COLUMN terminal_id, DROP COLUMN merchant_id;
        DROP TABLE terminals, stores, merchants, fee_plans;
        """
    )
