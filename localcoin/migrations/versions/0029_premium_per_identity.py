"""Premium campaigns for verified residents, limited per verified identity.

- ``premium_campaigns.verified_only``: only verified wallets may buy.
- ``premium_identity_holdings``: what one verified identity holds of such a
  campaign across all its wallets, by a keyed hash of how the identity was
  checked (never the reference itself), so two accounts of one person share
  one limit; the limit is copied in so a CHECK guards it.
- ``premium_purchases.identity``: the identity a reservation counted against,
  so a release gives the units back to it.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE premium_campaigns ADD COLUMN verified_only boolean NOT NULL DEFAULT false;
        ALTER TABLE premium_purchases
            ADD COLUMN identity bytea CHECK (identity IS NULL OR length(identity) = 32);
        CREATE TABLE premium_identity_holdings (
            coin_id bigint NOT NULL,
            campaign_id bigint NOT NULL,
            identity bytea NOT NULL CHECK (length(identity) = 32),
            units integer NOT NULL,
            per_resident_limit integer NOT NULL,
            PRIMARY KEY (coin_id, campaign_id, identity),
            FOREIGN KEY (coin_id, campaign_id) REFERENCES premium_campaigns (coin_id, id),
            CHECK (units BETWEEN 0 AND per_resident_limit)
        );
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE premium_identity_holdings;
        ALTER TABLE premium_purchases DROP COLUMN identity;
        ALTER TABLE premium_campaigns DROP COLUMN verified_only;
        """
    )
