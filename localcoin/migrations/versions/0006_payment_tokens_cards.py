"""Payment token uses and card wallets.

A payment token is single-use because its use is stored under the primary key
(coin_id, token_id): a second use of the same token fails in the database, even
when two terminals present it at the same instant.

A card is a printed QR for a wallet, for residents without a smartphone. Its
QR holds the card's number and a random secret; only a SHA-256 of the secret
is stored. At most one card per wallet is active (a partial unique index); the
balance belongs to the wallet, so blocking or reissuing a card moves nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- Tokens already used; kept until well after they expire.
        CREATE TABLE payment_token_uses (
            coin_id bigint NOT NULL REFERENCES coins (id),
            token_id bytea NOT NULL CHECK (length(token_id) = 16),
            wallet_id bigint NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, token_id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id)
        );
        CREATE INDEX payment_token_uses_expiry ON payment_token_uses (expires_at);

        CREATE TABLE cards (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            -- crd_ + base32 of the 10-byte card number printed in the QR;
            -- unique per coin, as every lookup is by the terminal's coin.
            public_id text NOT NULL CHECK (public_id ~ '^crd_[A-Z2-7]{16}$'),
            wallet_id bigint NOT NULL,
            secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
            status text NOT NULL CHECK (status IN ('active', 'blocked')),
            issued_at timestamptz NOT NULL,
            blocked_at timestamptz,
            block_reason text CHECK (length(block_reason) BETWEEN 1 AND 200),
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, public_id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            CHECK ((status = 'blocked') = (blocked_at IS NOT NULL)),
            CHECK ((status = 'blocked') = (block_reason IS NOT NULL))
        );
        CREATE UNIQUE INDEX cards_one_active_per_wallet ON cards (coin_id, wallet_id)
            WHERE status = 'active';
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE cards, payment_token_uses")
