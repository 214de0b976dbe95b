"""Settlement reports: participating institutions, the fee-sharing rule, top-ups by institution.

- ``institutions``: the financial institutions taking part in a coin, by
  their Zengin bank code; at most one is the issuer (partial unique index).
- ``fee_sharing``: how a coin's fee revenue is shared, in basis points per
  party (an institution's bank code or ``operator``). A deferred constraint
  trigger refuses, at COMMIT, a rule whose shares do not sum to 10,000, so a
  rule is always replaced whole, inside one transaction.
- ``topups.institution_bank_code``: the institution that took a top-up, when
  known; NULL means the issuing institution.
- A partial index on the entries of the few kinds the reports read by time
  (BtoB, cash-outs, points, expiry): payments never enter it, so the hot
  path pays nothing for it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE institutions (
            coin_id bigint NOT NULL REFERENCES coins (id),
            bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$'),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            issuing boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, bank_code)
        );
        CREATE UNIQUE INDEX institutions_one_issuer ON institutions (coin_id) WHERE issuing;

        CREATE TABLE fee_sharing (
            coin_id bigint NOT NULL REFERENCES coins (id),
            party text NOT NULL CHECK (party = 'operator' OR party ~ '^[0-9]{4}$'),
            bank_code text GENERATED ALWAYS AS
                (CASE WHEN party = 'operator' THEN NULL ELSE party END) STORED,
            share_bp integer NOT NULL CHECK (share_bp BETWEEN 1 AND 10000),
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, party),
            FOREIGN KEY (coin_id, bank_code) REFERENCES institutions (coin_id, bank_code)
        );

        CREATE FUNCTION fee_sharing_sums_to_whole() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            v_coin bigint := coalesce(NEW.coin_id, OLD.coin_id);
            v_total bigint;
        BEGIN
            SELECT sum(share_bp) INTO v_total FROM fee_sharing WHERE coin_id = v_coin;
            IF v_total IS NOT NULL AND v_total <> 10000 THEN
                RAISE EXCEPTION 'fee sharing of coin % sums to % bp, not 10000', v_coin, v_total
                    USING ERRCODE = '23514', CONSTRAINT = 'fee_sharing_sums_to_whole';
            END IF;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER fee_sharing_sums_to_whole
            AFTER INSERT OR UPDATE OR DELETE ON fee_sharing
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            EXECUTE FUNCTION fee_sharing_sums_to_whole();

        ALTER TABLE topups
            ADD COLUMN institution_bank_code text,
            ADD FOREIGN KEY (coin_id, institution_bank_code)
                REFERENCES institutions (coin_id, bank_code);

        CREATE INDEX entries_report_kinds ON entries (coin_id, kind, posted_at)
            WHERE kind IN ('btob', 'payout.close', 'payout.returned', 'lot.expired',
                           'points.grant', 'points.topup_bonus');
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX entries_report_kinds;
        ALTER TABLE topups DROP COLUMN institution_bank_code;
        DROP TABLE fee_sharing;
        DROP FUNCTION fee_sharing_sums_to_whole();
        DROP TABLE institutions;
        """
    )
