"""Idempotency keys of the API: the first answer to each (caller, key), kept to replay.

A row is written in the same transaction as the request's work, so it exists
exactly when the work committed; a duplicate arriving meanwhile waits on the
primary key for that transaction to end.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE idempotency_requests (
            scope text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
            key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
            method text NOT NULL,
            path text NOT NULL,
            request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
            status_code integer CHECK (status_code BETWEEN 200 AND 599),
            media_type text,
            body bytea,
            created_at timestamptz NOT NULL,
            completed_at timestamptz,
            PRIMARY KEY (scope, key),
            CHECK ((completed_at IS NULL) = (status_code IS NULL))
        );
        CREATE INDEX idempotency_requests_age ON idempotency_requests (created_at);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_requests")
