"""Ledger core: coins, accounts, entries, postings, balances, holds, lots, seals.

The database is the last guard of the books. Whatever code runs above it, and
even raw SQL typed by hand, cannot:

- commit an entry whose postings do not sum to zero, or that has fewer than two
  postings (a deferred constraint trigger, checked at COMMIT);
- add a posting to an entry that another transaction made, or name an account
  that does not exist (the posting trigger);
- take an account that may not go negative below zero, posted or available
  (CHECK constraints on the balance rows, which a trigger on every posting
  keeps equal to the postings);
- spend more of a wallet's lots than they hold (CHECK on lots.remaining);
- UPDATE or DELETE a posting, an entry, a lot movement or a seal.

The tables are here. The functions and triggers that guard them are the
ledger's own SQL, kept in ledger/sql/ beside the code that calls them; this
migration applies version 1 of each. A later change is a new version applied
by a new migration (ledger/sql/README.md), so this one keeps building what it
built.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from ledger.sql import ledger_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Must equal ledger.limits.AMOUNT_MAX: the database refuses what Python would.
AMOUNT_MAX = 1_000_000_000_000

TABLES = f"""
CREATE TABLE coins (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9_]{{1,15}}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    issuer_name text NOT NULL CHECK (length(issuer_name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL
);

CREATE TABLE accounts (
    coin_id bigint NOT NULL REFERENCES coins (id),
    id bigint GENERATED ALWAYS AS IDENTITY,
    code text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]*(:[A-Za-z0-9_-]+)*$' AND length(code) <= 200),
    class text NOT NULL CHECK (class IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    allow_negative boolean NOT NULL,
    tracks_lots boolean NOT NULL,
    balance_slots smallint NOT NULL CHECK (balance_slots BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (coin_id, id),
    UNIQUE (coin_id, code),
    -- A lot-tracked wallet is exactly the sum of its lots, which are never negative.
    CHECK (NOT (tracks_lots AND allow_negative)),
    CHECK (NOT (tracks_lots AND balance_slots > 1))
);

-- The cached balance of an account, split into slots so that a hot account
-- (the arena at opening) takes concurrent credits on different rows. The
-- account's balance is the sum of its slots. Holds live on slot 0 only, and a
-- decrease first gathers every slot into slot 0, so the per-row CHECK below is
-- the check on the whole account.
CREATE TABLE account_balances (
    coin_id bigint NOT NULL,
    account_id bigint NOT NULL,
    slot smallint NOT NULL CHECK (slot >= 0),
    allow_negative boolean NOT NULL,
    posted bigint NOT NULL DEFAULT 0,
    held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
    PRIMARY KEY (coin_id, account_id, slot),
    FOREIGN KEY (coin_id, account_id) REFERENCES accounts (coin_id, id),
    CONSTRAINT account_balances_no_negative
        CHECK (allow_negative OR (posted >= 0 AND posted - held >= 0)),
    CHECK (slot = 0 OR held = 0)
);

-- No foreign key to coins: every entry would share-lock the one coin row. An
-- entry's postings must name accounts of its coin, which name the coin.
CREATE TABLE entries (
    coin_id bigint NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{{0,63}}$'),
    posted_at timestamptz NOT NULL,
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash bytea CHECK (length(request_hash) = 32),
    reverses_entry_id bigint,
    metadata jsonb NOT NULL DEFAULT '{{}}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    -- The transaction that made the entry: only it may add postings to it.
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (coin_id, id),
    FOREIGN KEY (coin_id, reverses_entry_id) REFERENCES entries (coin_id, id),
    CHECK ((idempotency_key IS NULL) = (request_hash IS NULL))
);
CREATE UNIQUE INDEX entries_idempotency_key ON entries (coin_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- An entry is reversed at most once.
CREATE UNIQUE INDEX entries_reversed_once ON entries (coin_id, reverses_entry_id)
    WHERE reverses_entry_id IS NOT NULL;

-- One leg of an entry. amount is signed: positive debits the account, negative
-- credits it. The lot_* columns only mean something on lot-tracked accounts.
-- Its entry and account are checked by the posting trigger rather than by
-- foreign keys, whose share locks on every account row would make hot
-- accounts hotter; neither entries nor accounts can ever be deleted, so the
-- check at insert is the whole guarantee.
CREATE TABLE postings (
    coin_id bigint NOT NULL,
    entry_id bigint NOT NULL,
    idx smallint NOT NULL CHECK (idx >= 0),
    account_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount <> 0 AND amount BETWEEN -{AMOUNT_MAX} AND {AMOUNT_MAX}),
    posted_at timestamptz NOT NULL,
    lot_kind text CHECK (lot_kind IN ('money', 'premium', 'points')),
    lot_expires_at timestamptz,
    spend_kinds text[] CHECK (spend_kinds <@ ARRAY['money', 'premium', 'points']),
    lot_id bigint,
    lot_entry_id bigint,
    PRIMARY KEY (coin_id, entry_id, idx)
);
-- History pages (newest first) and balances as of a past instant, by keyset.
CREATE INDEX postings_account_history
    ON postings (coin_id, account_id, posted_at, entry_id, idx) INCLUDE (amount);

-- A lot is the part of a wallet's balance of one kind and one expiry.
CREATE TABLE lots (
    coin_id bigint NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    account_id bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('money', 'premium', 'points')),
    expires_at timestamptz,
    remaining bigint NOT NULL CONSTRAINT lots_remaining_not_negative CHECK (remaining >= 0),
    PRIMARY KEY (coin_id, id),
    FOREIGN KEY (coin_id, account_id) REFERENCES accounts (coin_id, id),
    UNIQUE NULLS NOT DISTINCT (coin_id, account_id, kind, expires_at)
);
CREATE INDEX lots_open ON lots (coin_id, account_id) WHERE remaining > 0;
CREATE INDEX lots_expiring ON lots (coin_id, expires_at)
    WHERE remaining > 0 AND expires_at IS NOT NULL;

-- Every change of a lot, append-only: a lot's remaining is the sum of these.
CREATE TABLE lot_movements (
    coin_id bigint NOT NULL,
    entry_id bigint NOT NULL,
    posting_idx smallint NOT NULL,
    lot_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount <> 0),
    posted_at timestamptz NOT NULL,
    restores_entry_id bigint,
    PRIMARY KEY (coin_id, entry_id, posting_idx, lot_id),
    FOREIGN KEY (coin_id, entry_id, posting_idx) REFERENCES postings (coin_id, entry_id, idx),
    FOREIGN KEY (coin_id, lot_id) REFERENCES lots (coin_id, id)
);
CREATE INDEX lot_movements_restores ON lot_movements (coin_id, restores_entry_id)
    WHERE restores_entry_id IS NOT NULL;
CREATE INDEX lot_movements_by_lot ON lot_movements (coin_id, lot_id, posted_at);

CREATE TABLE holds (
    coin_id bigint NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    account_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0 AND amount <= {AMOUNT_MAX}),
    status text NOT NULL CHECK (status IN ('active', 'captured', 'voided', 'expired')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
    closed_at timestamptz,
    captured_amount bigint CHECK (captured_amount > 0 AND captured_amount <= amount),
    capture_entry_id bigint,
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash bytea CHECK (length(request_hash) = 32),
    metadata jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    PRIMARY KEY (coin_id, id),
    FOREIGN KEY (coin_id, account_id) REFERENCES accounts (coin_id, id),
    FOREIGN KEY (coin_id, capture_entry_id) REFERENCES entries (coin_id, id),
    CHECK ((status = 'active') = (closed_at IS NULL)),
    CHECK ((status = 'captured') = (capture_entry_id IS NOT NULL)),
    CHECK ((status = 'captured') = (captured_amount IS NOT NULL)),
    CHECK ((idempotency_key IS NULL) = (request_hash IS NULL))
);
CREATE UNIQUE INDEX holds_idempotency_key ON holds (coin_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX holds_active_expiry ON holds (coin_id, expires_at) WHERE status = 'active';
CREATE INDEX holds_active_account ON holds (coin_id, account_id) WHERE status = 'active';

-- Entries committed but not yet linked into the hash chain. The sealer drains it.
CREATE TABLE entries_unsealed (
    coin_id bigint NOT NULL,
    entry_id bigint NOT NULL,
    PRIMARY KEY (coin_id, entry_id)
);

-- The hash chain, per coin, in the order the sealer linked the entries.
CREATE TABLE entry_seals (
    coin_id bigint NOT NULL REFERENCES coins (id),
    chain_index bigint NOT NULL CHECK (chain_index >= 1),
    entry_id bigint NOT NULL,
    content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
    chain_hash bytea NOT NULL CHECK (length(chain_hash) = 32),
    sealed_at timestamptz NOT NULL,
    PRIMARY KEY (coin_id, chain_index),
    UNIQUE (coin_id, entry_id),
    FOREIGN KEY (coin_id, entry_id) REFERENCES entries (coin_id, id)
);
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(ledger_sql("append_only", 1))
    op.execute(ledger_sql("entry_balanced", 1))
    op.execute(ledger_sql("lots", 1))
    op.execute(ledger_sql("balance_triggers", 1))
    op.execute(ledger_sql("post_entry", 1))
    op.execute(ledger_sql("post_entries", 1))
    op.execute(ledger_sql("chain", 1))


def downgrade() -> None:
    raise NotImplementedError("the ledger's books are never dropped by a migration")
