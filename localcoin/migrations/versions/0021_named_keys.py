"""Named API keys: an optional expiry, the last use, and who made and revoked each.

A key is named ``key_<prefix>`` in the API and the CLI, as merchants' keys are.

- ``expires_at``: a key past it no longer authenticates.
- ``last_used_at``: refreshed at most hourly, so an auditor sees dormant keys.
- ``created_by`` / ``revoked_by``: the key that made or revoked this one
  (NULL when done at the command line by the operator on the server).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE api_keys
            ADD COLUMN expires_at timestamptz,
            ADD COLUMN last_used_at timestamptz,
            ADD COLUMN created_by bigint,
            ADD COLUMN revoked_by bigint;
        ALTER TABLE api_keys
            ADD CONSTRAINT api_keys_created_by
                FOREIGN KEY (coin_id, created_by) REFERENCES api_keys (coin_id, id),
            ADD CONSTRAINT api_keys_revoked_by
                FOREIGN KEY (coin_id, revoked_by) REFERENCES api_keys (coin_id, id),
            ADD CONSTRAINT api_keys_expiry_after_creation
                CHECK (expires_at IS NULL OR expires_at > created_at);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE api_keys
            DROP COLUMN revoked_by, DROP COLUMN created_by, DROP COLUMN last_used_at,
            DROP COLUMN expires_at;
        """
    )
