"""idempotency_claim(): an Idempotency-Key's claim in one round trip.

Inserting the key's row and, when it exists, reading the first request's
answer were three statements (a ``SET LOCAL lock_timeout`` around the insert
and its reset, then the select); a function whose ``SET lock_timeout``
applies only while it runs does it in one. The bound still matters: a
duplicate waits on the first request's row lock at most ``p_wait_ms`` (the
caller's IN_FLIGHT_WAIT_S); a ``SET LOCAL`` inside a function with a ``SET``
clause for the same setting ends with the function, so the payment that
follows the claim runs without that bound.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION idempotency_claim(
            p_scope text, p_key text, p_method text, p_path text, p_hash bytea, p_at timestamptz,
            p_wait_ms integer
        ) RETURNS TABLE (
            claimed boolean, request_hash bytea, status_code integer, media_type text, body bytea
        )
        LANGUAGE plpgsql
        SET lock_timeout = '10s'
        AS $$
        BEGIN
            PERFORM set_config('lock_timeout', p_wait_ms || 'ms', true);
            INSERT INTO idempotency_requests (scope, key, method, path, request_hash, created_at)
            VALUES (p_scope, p_key, p_method, p_path, p_hash, p_at)
            ON CONFLICT (scope, key) DO NOTHING;
            IF FOUND THEN
                RETURN QUERY SELECT true, NULL::bytea, NULL::integer, NULL::text, NULL::bytea;
                RETURN;
            END IF;
            -- Read committed: this statement sees the first request's committed answer.
            RETURN QUERY
                SELECT false, r.request_hash, r.status_code, r.media_type, r.body
                FROM idempotency_requests r
                WHERE r.scope = p_scope AND r.key = p_key;
        END
        $$;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION idempotency_claim(text, text, text, text, bytea, timestamptz, integer)"
    )
