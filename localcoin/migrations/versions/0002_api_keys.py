"""API keys: operator, issuer, municipality and merchant credentials, per coin.

Only a SHA-256 of each secret is stored; the secret is shown once, when made.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_keys (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            role text NOT NULL CHECK (role IN ('operator', 'issuer', 'municipality', 'merchant')),
            prefix text NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 8 AND 40),
            secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
            label text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
            created_at timestamptz NOT NULL,
            revoked_at timestamptz,
            PRIMARY KEY (coin_id, id)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE api_keys")
