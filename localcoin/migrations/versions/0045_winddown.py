"""Winding a coin down (払戻し, Payment Services Act art. 20): the notice, the dates,
and residents' refund claims.

``coin_winddowns`` keeps the notice: when issuance stops (top-ups, points,
premium sales), when acceptance ends (payments and transfers), and when the
claim period closes: at least 60 days after the notice, as art. 20(2) asks.
The dates are also on ``coin_rules``, which every issuing and paying path reads
already, so enforcing them costs no extra query. ``winddown_claims`` are the
residents' claims: the refundable balance (money and premium) moved out of the
wallet into ``payable:winddown`` and the bank account it is to be paid to.
A wind-down is decided by two issuer keys: ``approval_id`` is its approval
(kind ``winddown``), whose four-eyes check the approvals table enforces.

Revision ID: 0045
Revises: 0034
Create Date: 2026-12-04
"""

from alembic import op

revision = "0045"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE coin_rules
            ADD COLUMN issuance_ends_at timestamptz,
            ADD COLUMN acceptance_ends_at timestamptz,
            ADD CONSTRAINT coin_rules_winddown_order
                CHECK (issuance_ends_at <= acceptance_ends_at);

        CREATE TABLE coin_winddowns (
            coin_id bigint PRIMARY KEY REFERENCES coins (id),
            announced_at timestamptz NOT NULL,
            issuance_ends_at timestamptz NOT NULL,
            acceptance_ends_at timestamptz NOT NULL,
            claims_close_at timestamptz NOT NULL,
            requested_by bigint NOT NULL,
            approval_id bigint NOT NULL,
            closed_at timestamptz,
            unclaimed_total bigint CHECK (unclaimed_total >= 0),
            FOREIGN KEY (coin_id, requested_by) REFERENCES api_keys (coin_id, id),
            FOREIGN KEY (coin_id, approval_id) REFERENCES approvals (coin_id, id),
            CONSTRAINT coin_winddowns_order CHECK (announced_at <= issuance_ends_at
                AND issuance_ends_at <= acceptance_ends_at
                AND acceptance_ends_at <= claims_close_at),
            CONSTRAINT coin_winddowns_claim_period
                CHECK (claims_close_at >= announced_at + interval '60 days'),
            CONSTRAINT coin_winddowns_closed CHECK ((closed_at IS NULL) = (unclaimed_total IS NULL))
        );

        CREATE TABLE winddown_claims (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            public_id text NOT NULL UNIQUE CHECK (public_id ~ '^wdc_[A-Za-z0-9]{20}$'),
            wallet_id bigint NOT NULL,
            amount bigint NOT NULL CHECK (amount > 0),
            money bigint NOT NULL CHECK (money >= 0),
            premium bigint NOT NULL CHECK (premium >= 0),
            bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$'),
            branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
            account_type text NOT NULL CHECK (account_type IN ('ordinary', 'current')),
            account_number text NOT NULL CHECK (account_number ~ '^[0-9]{7}$'),
            holder_kana text NOT NULL,
            via text NOT NULL CHECK (via IN ('wallet', 'counter')),
            entry_id bigint NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, wallet_id),
            FOREIGN KEY (coin_id, wallet_id) REFERENCES wallets (coin_id, id),
            FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id),
            CHECK (amount = money + premium)
        );

        -- A wind-down's approval carries the refundable balance, which may be zero.
        ALTER TABLE approvals DROP CONSTRAINT approvals_kind_check,
            DROP CONSTRAINT approvals_amount_check,
            ADD CONSTRAINT approvals_kind_check
                CHECK (kind IN ('topup', 'points_grant', 'premium_campaign', 'winddown')),
            ADD CONSTRAINT approvals_amount_check CHECK (amount > 0 OR kind = 'winddown');
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DELETE FROM approvals WHERE kind = 'winddown';
        ALTER TABLE approvals DROP CONSTRAINT approvals_kind_check,
            DROP CONSTRAINT approvals_amount_check,
            ADD CONSTRAINT approvals_kind_check
                CHECK (kind IN ('topup', 'points_grant', 'premium_campaign')),
            ADD CONSTRAINT approvals_amount_check CHECK (amount > 0);
        DROP TABLE winddown_claims, coin_winddowns;
        ALTER TABLE coin_rules DROP CONSTRAINT coin_rules_winddown_order,
            DROP COLUMN acceptance_ends_at, DROP COLUMN issuance_ends_at;
        """
    )
