"""The till's PIN lockout, apart from the online one.

A PIN typed at a merchant's till (a resident's QR card) counts toward
``till_failed_pin_count`` / ``till_locked_until``; a PIN typed online (log-in,
step-up, PIN change) toward the existing pair. A stranger who knows a
resident's id and guesses PINs online then locks the online door only, not
the resident's card at the shop, and a stolen card's guesses at a till lock
the card only.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE residents
            ADD COLUMN till_failed_pin_count integer NOT NULL DEFAULT 0
                CHECK (till_failed_pin_count >= 0),
            ADD COLUMN till_locked_until timestamptz;
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE residents DROP COLUMN till_locked_until, DROP COLUMN till_failed_pin_count"
    )
