"""Per coin: the smallest cash-out and BtoB transfer, a minimum fee, and a cap on
a merchant's pending cash-outs.

Each payout is a record of the bank's transfer file, and the bank charges for
each: a stream of tiny cash-outs costs the scheme more than it brings.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE coin_rules
            ADD COLUMN cashout_min bigint NOT NULL DEFAULT 500 CHECK (cashout_min > 0),
            ADD COLUMN btob_min bigint NOT NULL DEFAULT 100 CHECK (btob_min > 0),
            ADD COLUMN fee_min bigint NOT NULL DEFAULT 0 CHECK (fee_min >= 0),
            ADD COLUMN pending_payouts_max integer NOT NULL DEFAULT 20
                CHECK (pending_payouts_max > 0);
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE coin_rules DROP COLUMN pending_payouts_max, DROP COLUMN fee_min,"
        " DROP COLUMN btob_min, DROP COLUMN cashout_min"
    )
