"""Erasing a resident's personal data once the records need no longer be kept.

``residents.erased_at`` marks a resident whose personal rows were
pseudonymised (wallet_api/resident_erasure.py): an erased resident cannot log
in and is named by no login id. ``coin_rules.retention_years`` is how long
after a wallet's last movement its records are kept (default 7: the Act on
Prevention of Transfer of Criminal Proceeds keeps transaction and
verification records seven years; never less).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE residents ADD COLUMN erased_at timestamptz;
        ALTER TABLE coin_rules ADD COLUMN retention_years smallint NOT NULL DEFAULT 7
            CHECK (retention_years BETWEEN 7 AND 30);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE coin_rules DROP COLUMN retention_years;
        ALTER TABLE residents DROP COLUMN erased_at;
        """
    )
