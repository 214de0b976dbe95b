"""P2P transfers, history export and sign-up rate limiting.

Transfers between residents' wallets of one coin, each tied to its ledger
entry; and the sign-up counter per coin, client address and window, kept in
the database so the limit holds across worker processes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- Money sent by one resident to another in the same coin. Amounts in coin (= yen).
        CREATE TABLE transfers (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^trf_[A-Za-z0-9]{16,32}$'),
            from_wallet_id bigint NOT NULL,
            to_wallet_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            entry_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, entry_id),
            FOREIGN KEY (coin_id, from_wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, to_wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id),
            CHECK (from_wallet_id <> to_wallet_id)
        );
        CREATE INDEX transfers_from ON transfers (coin_id, from_wallet_id, created_at);
        CREATE INDEX transfers_to ON transfers (coin_id, to_wallet_id, created_at);

        -- Sign-ups accepted per coin, client address and fixed window.
        CREATE TABLE signup_counts (
            coin_id bigint NOT NULL REFERENCES coins (id),
            client_address text NOT NULL CHECK (length(client_address) BETWEEN 1 AND 100),
            window_start timestamptz NOT NULL,
            signups integer NOT NULL CHECK (signups > 0),
            PRIMARY KEY (coin_id, client_address, window_start)
        );
        CREATE INDEX signup_counts_window ON signup_counts (window_start);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE signup_counts, transfers")
