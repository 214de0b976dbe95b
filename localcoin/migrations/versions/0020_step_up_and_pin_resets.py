"""The PIN step-up amount per coin, and the counter's PIN resets on record.

- ``coin_rules.step_up_amount``: payments and transfers from this amount on
  carry the resident's PIN (default 10,000).
- ``pin_resets``: each PIN the issuer set at the counter after an identity
  check, with how the identity was checked (the method, never the document's
  number), for the audit trail.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE coin_rules ADD COLUMN step_up_amount bigint NOT NULL DEFAULT 10000"
        " CHECK (step_up_amount > 0)"
    )
    op.execute(
        """
        CREATE TABLE pin_resets (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            resident_id bigint NOT NULL REFERENCES residents (id),
            coin_id bigint NOT NULL REFERENCES coins (id),
            checked_with text NOT NULL CHECK (length(checked_with) BETWEEN 1 AND 40),
            reset_at timestamptz NOT NULL
        );
        CREATE INDEX pin_resets_resident ON pin_resets (resident_id, reset_at DESC);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE pin_resets")
    op.execute("ALTER TABLE coin_rules DROP COLUMN step_up_amount")
