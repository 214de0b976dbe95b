"""Residents, their wallets in each coin, access tokens, coin rules and top-ups.

A resident is a person; a wallet is that person's account in one coin's books
(one resident may hold the coins of several towns). A resident's rows live
with the coin they signed up in (home_coin_id), the key to shard by.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- The limits and rules a coin's issuer sets. Amounts in coin (= yen).
        CREATE TABLE coin_rules (
            coin_id bigint PRIMARY KEY REFERENCES coins (id),
            basic_balance_cap bigint NOT NULL CHECK (basic_balance_cap > 0),
            verified_balance_cap bigint NOT NULL CHECK (verified_balance_cap > 0),
            payment_max bigint NOT NULL CHECK (payment_max > 0),
            daily_topup_max bigint NOT NULL CHECK (daily_topup_max > 0),
            topup_bonus_bp integer NOT NULL CHECK (topup_bonus_bp BETWEEN 0 AND 10000),
            topup_bonus_excluded_channels text[] NOT NULL,
            CHECK (basic_balance_cap <= verified_balance_cap)
        );
        INSERT INTO coin_rules
        SELECT id, 100000, 2000000, 500000, 500000, 0, '{}' FROM coins;

        CREATE TABLE residents (
            home_coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^res_[A-Za-z0-9]{16,32}$'),
            display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
            pin_hash text NOT NULL,
            failed_pin_count integer NOT NULL DEFAULT 0 CHECK (failed_pin_count >= 0),
            locked_until timestamptz,
            created_at timestamptz NOT NULL
        );

        CREATE TABLE wallets (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^wal_[A-Za-z0-9]{16,32}$'),
            resident_id bigint NOT NULL REFERENCES residents (id),
            account_id bigint NOT NULL,
            tier text NOT NULL CHECK (tier IN ('basic', 'verified')),
            verified_at timestamptz,
            verification_method text,
            verification_reference text,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, resident_id),
            UNIQUE (coin_id, account_id),
            FOREIGN KEY (coin_id, account_id) REFERENCES accounts (coin_id, id),
            CHECK ((tier = 'verified') = (verified_at IS NOT NULL))
        );
        CREATE INDEX wallets_resident ON wallets (resident_id);

        -- Residents' access tokens: only a SHA-256 of each is stored.
        CREATE TABLE access_tokens (
            token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
            resident_id bigint NOT NULL REFERENCES residents (id),
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
            revoked_at timestamptz
        );
        CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

        -- Top-ups the issuer records; the bank's reference is unique per channel.
        CREATE TABLE topups (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE,
            wallet_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            bonus bigint NOT NULL CHECK (bonus >= 0),
            channel text NOT NULL CHECK (channel IN ('counter', 'atm', 'bank_account', 'card')),
            reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
            business_date date NOT NULL,
            entry_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, channel, reference),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
        );
        CREATE INDEX topups_daily ON topups (coin_id, wallet_id, business_date);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE topups, access_tokens, wallets, residents, coin_rules")
