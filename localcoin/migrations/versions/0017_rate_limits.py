"""rate limits: failed attempts per caller per window (kit/rate_limits.py).

Keyed by a subject naming the caller (a client address with the coin it
guesses in, an API key), so a bucket may also count a caller across coins.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE rate_limit_counts (
            bucket text NOT NULL CHECK (bucket ~ '^[a-z_]{1,40}$'),
            subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
            window_start timestamptz NOT NULL,
            hits integer NOT NULL CHECK (hits >= 0),
            PRIMARY KEY (bucket, subject, window_start)
        );
        CREATE INDEX rate_limit_counts_window ON rate_limit_counts (window_start);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE rate_limit_counts")
