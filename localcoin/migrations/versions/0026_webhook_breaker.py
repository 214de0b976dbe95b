"""A circuit breaker per webhook endpoint.

- ``consecutive_failures``: failed attempts in a row (a 2xx resets it).
- ``paused_until``: after enough failures in a row, the endpoint gets no
  attempts until then; its deliveries wait (they are not failed) and resume
  when the pause ends.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE webhook_endpoints
            ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0
                CHECK (consecutive_failures >= 0),
            ADD COLUMN paused_until timestamptz;
        CREATE INDEX webhook_deliveries_replays
            ON webhook_deliveries (coin_id, endpoint_id, created_at) WHERE round > 0;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP INDEX webhook_deliveries_replays;"
        " ALTER TABLE webhook_endpoints DROP COLUMN paused_until, DROP COLUMN consecutive_failures"
    )
