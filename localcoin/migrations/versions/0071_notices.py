"""Notices to residents: preferences, the outbox, deliveries per channel, and the
cursor that follows each coin's hash chain.

- ``notice_preferences``: what a resident opted into (kinds and channels), the
  language, and quiet hours in Asia/Tokyo (both ends or neither).
- ``notice_settings``: per coin, how many days before a points or premium lot
  expires the resident hears of it (30 and 7 unless the issuer says otherwise).
- ``notice_cursors``: per coin, the chain index of the last sealed entry the
  notices pass has read. It moves in the transaction that writes the notices
  of the entries it passes, so a crash loses or repeats nothing. Coins that
  exist now start at their chain head: their past is not news.
- ``notices``: the outbox. UNIQUE (coin, resident, kind, source) makes each
  notice once however often its source is read (``source``: ``entry:<id>``,
  ``lot:<id>:<days>``, ``lock:<until>``). ``data`` holds only what the words
  need (amounts, kinds, dates), never a name.
- ``notice_deliveries``: one per notice and channel, with the webhook worker's
  lease and backoff columns. ``retry_key`` goes with every attempt (LINE's
  X-Line-Retry-Key, the e-mail's Message-ID) so a retry is recognisably the
  same message.
- ``notice_channels``: the circuit breaker per channel (an SMTP relay or LINE
  that is down rests, as a webhook endpoint does).

Revision ID: 0071
Revises: 0070
Create Date: 2026-12-04
"""

from alembic import op

revision = "0071"
down_revision = "0070"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE notice_preferences (
            resident_id bigint PRIMARY KEY REFERENCES residents (id),
            kinds text[] NOT NULL DEFAULT '{}',
            channels text[] NOT NULL DEFAULT '{}' CHECK (channels <@ ARRAY['email', 'line']),
            lang text NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en')),
            quiet_start time,
            quiet_end time,
            updated_at timestamptz NOT NULL,
            CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
        );

        CREATE TABLE notice_settings (
            coin_id bigint PRIMARY KEY REFERENCES coins (id),
            expiry_warning_days integer[] NOT NULL DEFAULT '{30,7}'
                CHECK (cardinality(expiry_warning_days) BETWEEN 1 AND 5
                       AND 1 <= ALL (expiry_warning_days) AND 365 >= ALL (expiry_warning_days))
        );

        CREATE TABLE notice_cursors (
            coin_id bigint PRIMARY KEY REFERENCES coins (id),
            chain_index bigint NOT NULL CHECK (chain_index >= 0),
            updated_at timestamptz NOT NULL
        );
        INSERT INTO notice_cursors (coin_id, chain_index, updated_at)
        SELECT c.id, coalesce(max(s.chain_index), 0), now()
          FROM coins c LEFT JOIN entry_seals s ON s.coin_id = c.id GROUP BY c.id;

        CREATE TABLE notices (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            resident_id bigint NOT NULL REFERENCES residents (id),
            kind text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
            source text NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
            data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
            created_at timestamptz NOT NULL,
            fanned_out_at timestamptz,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, resident_id, kind, source)
        );
        CREATE INDEX notices_to_fan_out ON notices (coin_id, id) WHERE fanned_out_at IS NULL;

        CREATE TABLE notice_deliveries (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            notice_id bigint NOT NULL,
            channel text NOT NULL CHECK (channel IN ('email', 'line')),
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'failed')),
            retry_key uuid NOT NULL DEFAULT gen_random_uuid(),
            attempt_count integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
            next_attempt_at timestamptz,
            give_up_at timestamptz NOT NULL,
            lease_token uuid,
            last_error text CHECK (length(last_error) <= 100),
            delivered_at timestamptz,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, notice_id, channel),
            FOREIGN KEY (coin_id, notice_id) REFERENCES notices (coin_id, id),
            CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
            CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
        );
        CREATE INDEX notice_deliveries_due ON notice_deliveries (next_attempt_at)
            WHERE status = 'pending';
        CREATE INDEX notice_deliveries_counts ON notice_deliveries (coin_id, channel, status);

        CREATE TABLE notice_channels (
            channel text PRIMARY KEY CHECK (channel IN ('email', 'line')),
            consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
            paused_until timestamptz
        );
        INSERT INTO notice_channels (channel) VALUES ('email'), ('line');
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE notice_channels, notice_deliveries, notices, notice_cursors,"
        " notice_settings, notice_preferences"
    )
