"""The device a resident's access token was issued to.

A new log-in from a device ends the tokens that device was given before, so a
phone that logs in again does not leave a live token behind in its old storage
(or in the hands of whoever copied it). The device's id is a random string the
wallet keeps; it proves nothing and is not secret, it only groups tokens.
``issued`` numbers tokens in the order they were issued, so the cap on a
resident's live tokens ends the oldest even when two share an instant.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE access_tokens
            ADD COLUMN device text CHECK (device ~ '^[A-Za-z0-9_-]{8,64}$'),
            ADD COLUMN issued bigint GENERATED ALWAYS AS IDENTITY;
        CREATE INDEX access_tokens_live_by_resident ON access_tokens (resident_id, issued)
            WHERE revoked_at IS NULL;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP INDEX access_tokens_live_by_resident; ALTER TABLE access_tokens"
        " DROP COLUMN issued, DROP COLUMN device"
    )
