"""Settlement batches: per-coin settings (cut-off, originating account), batches,
their state changes, merchants' payout schedules.

A batch is one per coin and business date. Its state only moves forward
(open → closed → exported → confirmed) and every move is a row of
batch_events; the database refuses any other move. A payout that is in a
batch, paid or returned has the entry that closed it; a paid or returned one
also has the entry that settled it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- One row per coin once the issuer sets it; without a row the cut-off is
        -- 15:00 and no Zengin file can be written (no originating account).
        CREATE TABLE settlement_settings (
            coin_id bigint PRIMARY KEY REFERENCES coins (id),
            -- Wall-clock time in Asia/Tokyo.
            cut_off time NOT NULL DEFAULT '15:00',
            requester_code text CHECK (requester_code ~ '^[0-9]{1,10}$'),
            originator_name text CHECK (length(originator_name) BETWEEN 1 AND 40),
            bank_code text CHECK (bank_code ~ '^[0-9]{4}$'),
            branch_code text CHECK (branch_code ~ '^[0-9]{3}$'),
            account_type text CHECK (account_type IN ('ordinary', 'current')),
            account_number text CHECK (account_number ~ '^[0-9]{1,7}$'),
            updated_at timestamptz NOT NULL,
            -- The originating account is all there or all absent.
            CHECK (num_nulls(requester_code, originator_name, bank_code, branch_code,
                             account_type, account_number) IN (0, 6))
        );

        CREATE TABLE settlement_batches (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^stb_[A-Za-z0-9]{16,32}$'),
            business_date date NOT NULL,
            transfer_date date NOT NULL CHECK (transfer_date > business_date),
            cut_off_at timestamptz NOT NULL,
            status text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'closed', 'exported', 'confirmed')),
            -- Totals of the payouts the batch pays (in_batch at closing), in coin = yen.
            payout_count integer NOT NULL DEFAULT 0 CHECK (payout_count >= 0),
            amount_total bigint NOT NULL DEFAULT 0 CHECK (amount_total >= 0),
            fee_total bigint NOT NULL DEFAULT 0 CHECK (fee_total >= 0),
            net_total bigint NOT NULL DEFAULT 0 CHECK (net_total = amount_total - fee_total),
            canceled_count integer NOT NULL DEFAULT 0 CHECK (canceled_count >= 0),
            -- The bank's results, once confirmed.
            paid_count integer NOT NULL DEFAULT 0 CHECK (paid_count >= 0),
            paid_total bigint NOT NULL DEFAULT 0 CHECK (paid_total >= 0),
            returned_count integer NOT NULL DEFAULT 0 CHECK (returned_count >= 0),
            returned_total bigint NOT NULL DEFAULT 0 CHECK (returned_total >= 0),
            results_hash bytea CHECK (length(results_hash) = 32),
            created_at timestamptz NOT NULL,
            closed_at timestamptz,
            exported_at timestamptz,
            confirmed_at timestamptz,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, business_date),
            CHECK ((status = 'open') = (closed_at IS NULL)),
            CHECK ((status IN ('exported', 'confirmed')) = (exported_at IS NOT NULL)),
            CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL)),
            CHECK (status <> 'confirmed' OR results_hash IS NOT NULL),
            CHECK (status <> 'confirmed'
                   OR (paid_count + returned_count = payout_count
                       AND paid_total + returned_total = net_total))
        );

        CREATE TABLE batch_events (
            coin_id bigint NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            batch_id bigint NOT NULL,
            from_status text,
            to_status text NOT NULL,
            -- Who: 'api_key:ID' or 'cli'.
            actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
            at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            FOREIGN KEY (coin_id, batch_id) REFERENCES settlement_batches (coin_id, id),
            UNIQUE (coin_id, batch_id, to_status),
            CHECK ((from_status, to_status) IN (('open', 'closed'), ('closed', 'exported'),
                                                ('exported', 'confirmed'))
                   OR (from_status IS NULL AND to_status = 'open'))
        );

        ALTER TABLE payouts
            ADD COLUMN result_entry_id bigint,
            ADD CONSTRAINT payouts_batch_fkey
                FOREIGN KEY (coin_id, batch_id) REFERENCES settlement_batches (coin_id, id),
            ADD CONSTRAINT payouts_result_entry_fkey
                FOREIGN KEY (coin_id, result_entry_id) REFERENCES entries (coin_id, id),
            ADD CONSTRAINT payouts_closed_has_entry
                CHECK (status NOT IN ('in_batch', 'paid', 'returned')
                       OR (batch_id IS NOT NULL AND entry_id IS NOT NULL)),
            ADD CONSTRAINT payouts_settled_has_result
                CHECK ((status IN ('paid', 'returned')) = (result_entry_id IS NOT NULL)),
            ADD CONSTRAINT payouts_returned_has_reason
                CHECK ((status = 'returned') = (return_reason IS NOT NULL)
                       AND (return_reason IS NULL OR length(return_reason) BETWEEN 1 AND 200));
        CREATE INDEX payouts_batch ON payouts (coin_id, batch_id, id) WHERE batch_id IS NOT NULL;

        -- A merchant's automatic cash-out: on its day, all its available coin
        -- if that reaches min_amount.
        CREATE TABLE payout_schedules (
            coin_id bigint NOT NULL,
            merchant_id bigint NOT NULL,
            frequency text NOT NULL CHECK (frequency IN ('daily', 'weekly', 'month_end')),
            -- 0 = Monday … 6 = Sunday, for weekly only.
            weekday smallint CHECK (weekday BETWEEN 0 AND 6),
            min_amount bigint NOT NULL CHECK (min_amount > 0),
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, merchant_id),
            FOREIGN KEY (coin_id, merchant_id) REFERENCES merchants (coin_id, id),
            CHECK ((frequency = 'weekly') = (weekday IS NOT NULL))
        );
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE payout_schedules;
        DROP INDEX payouts_batch;
        ALTER TABLE payouts
            DROP CONSTRAINT payouts_returned_has_reason,
            DROP CONSTRAINT payouts_closed_has_entry,
            DROP CONSTRAINT payouts_batch_fkey,
            DROP COLUMN result_entry_id;
        DROP TABLE batch_events, settlement_batches, settlement_settings;
        """
    )
