"""Webhooks: integrators' endpoints, one delivery per event and endpoint, every attempt.

The outbox (webhook_events, 0009) is fanned out once: an event gets
``fanned_out_at`` in the same transaction that inserts its deliveries, and
UNIQUE (event, endpoint, round) keeps two workers from creating a delivery
twice. A replay is a new round of the same event and endpoint.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- The secret is kept in clear because HMAC signing needs it; encrypting
        -- it at rest (a KMS-wrapped key) is left to the deployment.
        CREATE TABLE webhook_endpoints (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^we_[A-Za-z0-9]{16,32}$'),
            merchant_id bigint NOT NULL,
            url text NOT NULL CHECK (length(url) <= 2048 AND url ~ '^https?://'),
            events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 32),
            secret text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9_-]{32,64}$'),
            -- After a rotation the old secret also signs, until it expires, so
            -- integrators can switch without dropping events.
            previous_secret text CHECK (previous_secret ~ '^whsec_[A-Za-z0-9_-]{32,64}$'),
            previous_secret_until timestamptz,
            status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
            created_at timestamptz NOT NULL,
            disabled_at timestamptz,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            CHECK ((status = 'disabled') = (disabled_at IS NOT NULL)),
            CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL))
        );
        CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (coin_id, merchant_id, id);

        ALTER TABLE webhook_events ADD COLUMN fanned_out_at timestamptz;
        CREATE INDEX webhook_events_unfanned ON webhook_events (id) WHERE fanned_out_at IS NULL;

        CREATE TABLE webhook_deliveries (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^whd_[A-Za-z0-9]{16,32}$'),
            event_id bigint NOT NULL,
            endpoint_id bigint NOT NULL,
            -- 0 is the delivery the fan-out made; each replay adds the next round.
            round integer NOT NULL CHECK (round >= 0),
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'failed', 'canceled')),
            attempt_count integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
            -- When a pending delivery is next due. Claiming it moves this to the
            -- end of the claim's lease, so a worker that dies mid-delivery only
            -- delays it; lease_token lets the claimer alone record the outcome.
            next_attempt_at timestamptz,
            lease_token uuid,
            give_up_at timestamptz NOT NULL,
            delivered_at timestamptz,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, event_id, endpoint_id, round),
            FOREIGN KEY (coin_id, event_id) REFERENCES webhook_events (coin_id, id),
            FOREIGN KEY (coin_id, endpoint_id) REFERENCES webhook_endpoints (coin_id, id),
            CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
            CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
            CHECK (give_up_at > created_at)
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
            WHERE status = 'pending';
        CREATE INDEX webhook_deliveries_endpoint
            ON webhook_deliveries (coin_id, endpoint_id, id DESC);

        CREATE TABLE webhook_attempts (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            delivery_id bigint NOT NULL,
            attempted_at timestamptz NOT NULL,
            status_code integer CHECK (status_code BETWEEN 100 AND 599),
            error text CHECK (length(error) BETWEEN 1 AND 500),
            duration_ms integer NOT NULL CHECK (duration_ms >= 0),
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, delivery_id) REFERENCES webhook_deliveries (coin_id, id),
            CHECK (status_code IS NOT NULL OR error IS NOT NULL)
        );
        CREATE INDEX webhook_attempts_delivery ON webhook_attempts (coin_id, delivery_id, id);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE webhook_attempts, webhook_deliveries;
        DROP INDEX webhook_events_unfanned;
        ALTER TABLE webhook_events DROP COLUMN fanned_out_at;
        DROP TABLE webhook_endpoints;
        """
    )
