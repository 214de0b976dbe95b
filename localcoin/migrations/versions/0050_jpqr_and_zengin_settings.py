"""JPQR codes and the bank's transfer designation.

- ``merchants.city_romaji``: the city in Latin letters for the QR's field 60
  (ASCII, at most 15 characters: EMVCo's bound); None where not given.
- ``merchants.jpqr_store_id``: now the unified store id Payments Japan assigns,
  29 digits (13, 4, 6 and 6). The constraint is added NOT VALID: a value
  recorded under the old, looser rule stays until the issuer corrects it
  (nothing printed one yet), while every new or changed value is checked.
- ``qr_settings``: per coin, the JPQR provider code our template carries and
  the instant from which stickers printed before JPQR (our template under 26)
  stop paying; NULL: no end set yet, they still pay.
- ``settlement_settings.transfer_designation``: 振込指定区分 of every data
  record of the Zengin file: ' ' (the bank's default), '7' (電信) or '8' (文書).

Revision ID: 0050
Revises: 0037
Create Date: 2026-12-04
"""

from alembic import op

revision = "0050"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE merchants
            ADD COLUMN city_romaji text CHECK (city_romaji ~ '^[ -~]{1,15}$'),
            DROP CONSTRAINT merchants_jpqr_store_id_check;
        ALTER TABLE merchants ADD CONSTRAINT merchants_jpqr_store_id_check
            CHECK (jpqr_store_id ~ '^[0-9]{29}$') NOT VALID;

        CREATE TABLE qr_settings (
            coin_id bigint PRIMARY KEY REFERENCES coins (id),
            jpqr_provider_code text CHECK (jpqr_provider_code ~ '^[A-Za-z0-9]{1,20}$'),
            legacy_template_until timestamptz,
            updated_at timestamptz NOT NULL
        );

        ALTER TABLE settlement_settings
            ADD COLUMN transfer_designation text NOT NULL DEFAULT ' '
                CHECK (transfer_designation IN (' ', '7', '8'));
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE settlement_settings DROP COLUMN transfer_designation;
        DROP TABLE qr_settings;
        ALTER TABLE merchants DROP CONSTRAINT merchants_jpqr_store_id_check;
        ALTER TABLE merchants ADD CONSTRAINT merchants_jpqr_store_id_check
            CHECK (jpqr_store_id ~ '^[0-9A-Za-z]{1,32}$') NOT VALID;
        ALTER TABLE merchants DROP COLUMN city_romaji;
        """
    )
