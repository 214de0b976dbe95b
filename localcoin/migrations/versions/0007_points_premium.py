"""Points grants, top-up bonus and premium campaigns.

A points grant (行政ポイント) is one municipality decision credited to many
wallets; each wallet's credit is its own ledger entry. A premium campaign
(プレミアム付商品券) sells units first come, first served: its counter, and each
resident's holding of it, carry CHECK constraints so that no rush can oversell
a campaign or let a resident exceed the per-resident limit, whatever the code
above does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- One grant decision of the municipality. Amounts in coin (= yen).
        CREATE TABLE points_grants (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^pg_[A-Za-z0-9]{16,32}$'),
            amount bigint NOT NULL CHECK (amount > 0),
            wallet_count integer NOT NULL CHECK (wallet_count BETWEEN 1 AND 1000),
            total bigint NOT NULL,
            reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
            expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
            api_key_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            CHECK (total = amount * wallet_count)
        );

        -- Each wallet a grant credited, with the entry that credited it.
        CREATE TABLE points_grant_wallets (
            coin_id bigint NOT NULL,
            grant_id bigint NOT NULL,
            wallet_id bigint NOT NULL,
            entry_id bigint NOT NULL,
            PRIMARY KEY (coin_id, grant_id, wallet_id),
            FOREIGN KEY (coin_id, grant_id) REFERENCES points_grants (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX points_grant_wallets_wallet ON points_grant_wallets (coin_id, wallet_id);

        -- A premium campaign: `price` yen buys `face_value` coin per unit; the
        -- difference (the premium) is funded by the municipality.
        CREATE TABLE premium_campaigns (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^pc_[A-Za-z0-9]{16,32}$'),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            price bigint NOT NULL CHECK (price > 0),
            face_value bigint NOT NULL CHECK (face_value > price),
            per_resident_limit integer NOT NULL CHECK (per_resident_limit > 0),
            total_units integer NOT NULL CHECK (total_units > 0),
            sold_units integer NOT NULL DEFAULT 0,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
            premium_expires_at timestamptz NOT NULL CHECK (premium_expires_at > ends_at),
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            -- sold_units counts reserved and paid units: never above the total.
            CHECK (sold_units BETWEEN 0 AND total_units),
            CHECK (per_resident_limit <= total_units)
        );

        -- What one wallet holds of a campaign (reserved and paid units). The
        -- limit is copied in so that a CHECK, not the code, guards it.
        CREATE TABLE premium_holdings (
            coin_id bigint NOT NULL,
            campaign_id bigint NOT NULL,
            wallet_id bigint NOT NULL,
            units integer NOT NULL,
            per_resident_limit integer NOT NULL,
            PRIMARY KEY (coin_id, campaign_id, wallet_id),
            FOREIGN KEY (coin_id, campaign_id) REFERENCES premium_campaigns (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            CHECK (units BETWEEN 0 AND per_resident_limit)
        );

        -- A resident's purchase: reserved first (units counted), then paid in
        -- yen at the issuer (credited), or released at its deadline (units back).
        CREATE TABLE premium_purchases (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^pp_[A-Za-z0-9]{16,32}$'),
            campaign_id bigint NOT NULL,
            wallet_id bigint NOT NULL,
            units integer NOT NULL CHECK (units > 0),
            price_total bigint NOT NULL CHECK (price_total > 0),
            face_total bigint NOT NULL CHECK (face_total > price_total),
            status text NOT NULL CHECK (status IN ('reserved', 'paid', 'released')),
            reserved_at timestamptz NOT NULL,
            pay_by timestamptz NOT NULL CHECK (pay_by > reserved_at),
            paid_at timestamptz,
            channel text CHECK (channel IN ('counter', 'atm', 'bank_account')),
            reference text CHECK (length(reference) BETWEEN 1 AND 100),
            entry_id bigint,
            released_at timestamptz,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, campaign_id) REFERENCES premium_campaigns (coin_id, id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id),
            CHECK ((status = 'paid') = (paid_at IS NOT NULL AND channel IS NOT NULL
                AND reference IS NOT NULL AND entry_id IS NOT NULL)),
            CHECK ((status = 'released') = (released_at IS NOT NULL))
        );
        CREATE INDEX premium_purchases_due ON premium_purchases (coin_id, campaign_id, pay_by)
            WHERE status = 'reserved';
        CREATE INDEX premium_purchases_wallet ON premium_purchases (coin_id, wallet_id);
        -- One payment at the bank pays one purchase.
        CREATE UNIQUE INDEX premium_purchases_payment
            ON premium_purchases (coin_id, channel, reference) WHERE status = 'paid';
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE premium_purchases, premium_holdings, premium_campaigns,"
        " points_grant_wallets, points_grants"
    )
