"""Four eyes on issuance: approvals, a points budget, a daily ceiling per key, and the actor.

- ``coin_rules.approval_threshold``: a top-up, or a points grant whose total,
  is above it waits for a second key's approval (default 300,000).
- ``coin_rules.points_budget``: the most points the municipality may grant in
  all (NULL until the issuer sets one).
- ``coin_rules.daily_issuance_max_per_key``: the most one key may issue (top-ups
  and points) per Tokyo business day (default 10,000,000).
- ``topups.recorded_by``: the key that recorded a top-up (NULL for card
  top-ups, which Stripe's signed event records).
- ``approvals``: each issuance waiting for, or decided by, a second key. The
  database refuses a decision by the key that asked (four eyes), and a
  decision without its decider and time.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE coin_rules
            ADD COLUMN approval_threshold bigint NOT NULL DEFAULT 300000
                CHECK (approval_threshold > 0),
            ADD COLUMN points_budget bigint CHECK (points_budget >= 0),
            ADD COLUMN daily_issuance_max_per_key bigint NOT NULL DEFAULT 10000000
                CHECK (daily_issuance_max_per_key > 0);

        ALTER TABLE topups ADD COLUMN recorded_by bigint,
            ADD CONSTRAINT topups_recorded_by
                FOREIGN KEY (coin_id, recorded_by) REFERENCES api_keys (coin_id, id);
        CREATE INDEX topups_recorded_by_day ON topups (coin_id, recorded_by, business_date)
            WHERE recorded_by IS NOT NULL;
        CREATE INDEX points_grants_by_key ON points_grants (coin_id, api_key_id, created_at);

        CREATE TABLE approvals (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^apr_[A-Za-z0-9]{20}$'),
            kind text NOT NULL CHECK (kind IN ('topup', 'points_grant')),
            amount bigint NOT NULL CHECK (amount > 0),
            request jsonb NOT NULL,
            requested_by bigint NOT NULL,
            created_at timestamptz NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'failed')),
            decided_by bigint,
            decided_at timestamptz,
            reason text CHECK (length(reason) <= 200),
            result jsonb,
            error jsonb,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, requested_by) REFERENCES api_keys (coin_id, id),
            FOREIGN KEY (coin_id, decided_by) REFERENCES api_keys (coin_id, id),
            CONSTRAINT approvals_four_eyes CHECK (decided_by <> requested_by),
            CONSTRAINT approvals_decided CHECK (
                (status = 'pending') = (decided_by IS NULL)
                AND (decided_by IS NULL) = (decided_at IS NULL)
            ),
            CONSTRAINT approvals_outcome CHECK (
                (status = 'approved') = (result IS NOT NULL)
                AND (status = 'failed') = (error IS NOT NULL)
            )
        );
        CREATE INDEX approvals_by_status ON approvals (coin_id, status, id DESC);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE approvals;
        DROP INDEX points_grants_by_key;
        ALTER TABLE topups DROP COLUMN recorded_by;
        ALTER TABLE coin_rules DROP COLUMN daily_issuance_max_per_key,
            DROP COLUMN points_budget, DROP COLUMN approval_threshold;
        """
    )
