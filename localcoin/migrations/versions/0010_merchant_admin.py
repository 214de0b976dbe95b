"""Merchant administration: a terminal's store and a terminal's key belong to its merchant.

0009 ties stores, terminals and keys to the coin; these keys also make the
database refuse a terminal under another merchant's store, or a terminal's
key naming another merchant, whatever the code above does. The indexes serve
the merchant's own lists (stores, terminals, keys), newest first.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE stores ADD CONSTRAINT stores_merchant_key UNIQUE (coin_id, id, merchant_id);
        ALTER TABLE terminals
            ADD CONSTRAINT terminals_merchant_key UNIQUE (coin_id, id, merchant_id),
            ADD CONSTRAINT terminals_store_of_merchant
                FOREIGN KEY (coin_id, store_id, merchant_id)
                REFERENCES stores (coin_id, id, merchant_id);
        ALTER TABLE api_keys ADD CONSTRAINT api_keys_terminal_of_merchant
            FOREIGN KEY (coin_id, terminal_id, merchant_id)
            REFERENCES terminals (coin_id, id, merchant_id);
        CREATE INDEX stores_merchant ON stores (coin_id, merchant_id, id DESC);
        CREATE INDEX terminals_merchant ON terminals (coin_id, merchant_id, id DESC);
        CREATE INDEX api_keys_merchant ON api_keys (coin_id, merchant_id, id DESC)
            WHERE merchant_id IS NOT NULL;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX api_keys_merchant, terminals_merchant, stores_merchant;
        ALTER TABLE api_keys DROP CONSTRAINT api_keys_terminal_of_merchant;
        ALTER TABLE terminals
            DROP CONSTRAINT terminals_store_of_merchant,
            DROP CONSTRAINT terminals_merchant_key;
        ALTER TABLE stores DROP CONSTRAINT stores_merchant_key;
        """
    )
