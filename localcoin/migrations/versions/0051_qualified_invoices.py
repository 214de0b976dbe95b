"""Consumption tax on merchant fees and the issuer's registration number (適格請求書).

- ``consumption_tax_rates``: per coin, the rate on fees (basis points) from an
  effective date (a Tokyo calendar day). Without a row the standard rate of
  10% from 2019-10-01 applies (settlement/consumption_tax.py).
- ``settlement_settings.invoice_registration_number``: T + 13 digits; the
  check digit is checked in Python (settlement/registration_number.py), the
  shape here.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-04
"""

from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE consumption_tax_rates (
            coin_id bigint NOT NULL REFERENCES coins (id),
            effective_from date NOT NULL,
            rate_bp integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
            recorded_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, effective_from)
        );

        ALTER TABLE settlement_settings
            ADD COLUMN invoice_registration_number text
                CHECK (invoice_registration_number ~ '^T[0-9]{13}$');
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE settlement_settings DROP COLUMN invoice_registration_number;
        DROP TABLE consumption_tax_rates;
        """
    )
