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

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

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

FUNCTIONS = r"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

-- Once per entry, at COMMIT: its postings sum to zero and there are at least
-- two. Postings can only be added by the transaction that made the entry (the
-- posting trigger), so checking each entry once covers every posting.
CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_sum numeric;
    v_count integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO v_sum, v_count
      FROM postings WHERE coin_id = NEW.coin_id AND entry_id = NEW.id;
    IF v_sum <> 0 OR v_count < 2 THEN
        RAISE EXCEPTION 'entry % of coin % does not balance: sum %, % postings',
            NEW.id, NEW.coin_id, v_sum, v_count
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balanced';
    END IF;
    RETURN NULL;
END $$;

-- Gathers every slot of a split account into slot 0, with slot 0 locked first,
-- so that a decrease or a hold is checked against the whole balance.
CREATE FUNCTION ledger_gather_slots(p_coin_id bigint, p_account_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_moved bigint;
BEGIN
    PERFORM 1 FROM account_balances
      WHERE coin_id = p_coin_id AND account_id = p_account_id AND slot = 0 FOR NO KEY UPDATE;
    SELECT coalesce(sum(s.posted), 0) INTO v_moved FROM (
        SELECT posted FROM account_balances
         WHERE coin_id = p_coin_id AND account_id = p_account_id AND slot > 0
         ORDER BY slot FOR NO KEY UPDATE) s;
    IF v_moved <> 0 THEN
        UPDATE account_balances SET posted = 0
         WHERE coin_id = p_coin_id AND account_id = p_account_id AND slot > 0 AND posted <> 0;
        UPDATE account_balances SET posted = posted + v_moved
         WHERE coin_id = p_coin_id AND account_id = p_account_id AND slot = 0;
    END IF;
END $$;

-- Adds v_amount (positive) to a wallet's lots for one posting. With
-- lot_entry_id it first gives back what that entry took from this wallet (own
-- money first, points last); the rest goes to the lot of the posting's kind
-- and expiry.
CREATE FUNCTION ledger_lots_credit(p postings, v_amount bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_left bigint := v_amount;
    v_take bigint;
    v_lot_id bigint;
    v_lot_ids bigint[] := '{}';
    v_amounts bigint[] := '{}';
    v_at integer;
    r record;
BEGIN
    IF p.lot_entry_id IS NOT NULL THEN
        FOR r IN
            SELECT m.lot_id,
                   -sum(m.amount) - coalesce((
                       SELECT sum(x.amount) FROM lot_movements x
                        WHERE x.coin_id = p.coin_id AND x.restores_entry_id = p.lot_entry_id
                          AND x.lot_id = m.lot_id), 0) AS restorable
              FROM lot_movements m
              JOIN lots l ON l.coin_id = m.coin_id AND l.id = m.lot_id
             WHERE m.coin_id = p.coin_id AND m.entry_id = p.lot_entry_id
               AND m.amount < 0 AND l.account_id = p.account_id
             GROUP BY m.lot_id, l.kind, l.expires_at
             ORDER BY CASE l.kind WHEN 'money' THEN 0 WHEN 'premium' THEN 1 ELSE 2 END,
                      l.expires_at DESC NULLS FIRST, m.lot_id DESC
        LOOP
            EXIT WHEN v_left = 0;
            v_take := least(v_left, r.restorable);
            CONTINUE WHEN v_take <= 0;
            UPDATE lots SET remaining = remaining + v_take
             WHERE coin_id = p.coin_id AND id = r.lot_id;
            v_lot_ids := v_lot_ids || r.lot_id;
            v_amounts := v_amounts || v_take;
            v_left := v_left - v_take;
        END LOOP;
    END IF;
    IF v_left > 0 THEN
        INSERT INTO lots AS l (coin_id, account_id, kind, expires_at, remaining)
        VALUES (p.coin_id, p.account_id, coalesce(p.lot_kind, 'money'), p.lot_expires_at, v_left)
        ON CONFLICT (coin_id, account_id, kind, expires_at)
            DO UPDATE SET remaining = l.remaining + EXCLUDED.remaining
        RETURNING id INTO v_lot_id;
        v_at := array_position(v_lot_ids, v_lot_id);
        IF v_at IS NULL THEN
            v_lot_ids := v_lot_ids || v_lot_id;
            v_amounts := v_amounts || v_left;
        ELSE
            v_amounts[v_at] := v_amounts[v_at] + v_left;
        END IF;
    END IF;
    INSERT INTO lot_movements
        (coin_id, entry_id, posting_idx, lot_id, amount, posted_at, restores_entry_id)
    SELECT p.coin_id, p.entry_id, p.idx, t.lot_id, t.amount, p.posted_at, p.lot_entry_id
      FROM unnest(v_lot_ids, v_amounts) AS t(lot_id, amount);
END $$;

-- Takes v_amount (positive) from a wallet's lots for one posting: a named lot
-- only; else the lots that entry created first; then the earliest expiry first,
-- points before premium before money.
CREATE FUNCTION ledger_lots_debit(p postings, v_amount bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_left bigint := v_amount;
    v_take bigint;
    r record;
BEGIN
    FOR r IN
        SELECT l.id, l.remaining
          FROM lots l
         WHERE l.coin_id = p.coin_id AND l.account_id = p.account_id AND l.remaining > 0
           AND (p.lot_id IS NULL OR l.id = p.lot_id)
           AND (p.spend_kinds IS NULL OR l.kind = ANY (p.spend_kinds))
         ORDER BY
           CASE WHEN p.lot_entry_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM lot_movements c
                 WHERE c.coin_id = p.coin_id AND c.entry_id = p.lot_entry_id
                   AND c.lot_id = l.id AND c.amount > 0) THEN 0 ELSE 1 END,
           l.expires_at ASC NULLS LAST,
           CASE l.kind WHEN 'points' THEN 0 WHEN 'premium' THEN 1 ELSE 2 END,
           l.id
         FOR NO KEY UPDATE
    LOOP
        EXIT WHEN v_left = 0;
        v_take := least(v_left, r.remaining);
        UPDATE lots SET remaining = remaining - v_take WHERE coin_id = p.coin_id AND id = r.id;
        INSERT INTO lot_movements (coin_id, entry_id, posting_idx, lot_id, amount, posted_at)
        VALUES (p.coin_id, p.entry_id, p.idx, r.id, -v_take, p.posted_at);
        v_left := v_left - v_take;
    END LOOP;
    IF v_left > 0 THEN
        RAISE EXCEPTION 'account % of coin %: lots eligible for this debit hold % less than needed',
            p.account_id, p.coin_id, v_left
            USING ERRCODE = 'check_violation', CONSTRAINT = 'lots_insufficient';
    END IF;
END $$;

-- Keeps the cached balance (and the lots) equal to the postings, for every
-- posting however it was inserted. Postings of one entry are inserted in
-- account order, so balance rows are always locked in (account, slot) order.
CREATE FUNCTION ledger_apply_posting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_class text;
    v_tracks_lots boolean;
    v_slots smallint;
    v_delta bigint;
    v_slot smallint := 0;
BEGIN
    PERFORM 1 FROM entries
      WHERE coin_id = NEW.coin_id AND id = NEW.entry_id AND txid = pg_current_xact_id();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a posting may only be added to an entry made by the same transaction'
              ' (entry % of coin %)', NEW.entry_id, NEW.coin_id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'postings_entry_of_this_transaction';
    END IF;
    SELECT class, tracks_lots, balance_slots INTO v_class, v_tracks_lots, v_slots
      FROM accounts WHERE coin_id = NEW.coin_id AND id = NEW.account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account % in coin %', NEW.account_id, NEW.coin_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'postings_account_exists';
    END IF;
    -- The balance is kept on the account's normal side.
    v_delta := CASE WHEN v_class IN ('asset', 'expense') THEN NEW.amount ELSE -NEW.amount END;
    IF v_slots > 1 THEN
        IF v_delta > 0 THEN
            v_slot := pg_backend_pid() % v_slots;
        ELSE
            PERFORM ledger_gather_slots(NEW.coin_id, NEW.account_id);
        END IF;
    END IF;
    UPDATE account_balances SET posted = posted + v_delta
     WHERE coin_id = NEW.coin_id AND account_id = NEW.account_id AND slot = v_slot;
    IF v_tracks_lots THEN
        IF v_delta > 0 THEN
            PERFORM ledger_lots_credit(NEW, v_delta);
        ELSE
            PERFORM ledger_lots_debit(NEW, -v_delta);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION ledger_open_balance_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_balances (coin_id, account_id, slot, allow_negative)
    SELECT NEW.coin_id, NEW.id, s, NEW.allow_negative
      FROM generate_series(0, NEW.balance_slots - 1) s;
    RETURN NULL;
END $$;

-- Posts one entry in one round trip. Returns 'ok', 'exists' (same idempotency
-- key and same request: the first entry) or 'exists_with_different_request'.
-- Refusals of the books (insufficient funds, unbalanced) are raised by the
-- constraints with their names.
CREATE FUNCTION ledger_post_entry(
    p_coin_id bigint, p_kind text, p_posted_at timestamptz,
    p_idempotency_key text, p_request_hash bytea, p_reverses_entry_id bigint, p_metadata jsonb,
    p_account_ids bigint[], p_amounts bigint[], p_lot_kinds text[],
    p_lot_expires_at timestamptz[], p_spend_kinds text[], p_lot_ids bigint[],
    p_lot_entry_ids bigint[],
    OUT result text, OUT entry_id bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_hash bytea;
BEGIN
    INSERT INTO entries (coin_id, kind, posted_at, idempotency_key, request_hash,
                         reverses_entry_id, metadata)
    VALUES (p_coin_id, p_kind, p_posted_at, p_idempotency_key, p_request_hash,
            p_reverses_entry_id, p_metadata)
    ON CONFLICT (coin_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id INTO entry_id;
    IF entry_id IS NULL THEN
        SELECT e.id, e.request_hash INTO entry_id, v_hash
          FROM entries e WHERE e.coin_id = p_coin_id AND e.idempotency_key = p_idempotency_key;
        result := CASE WHEN v_hash = p_request_hash THEN 'exists'
                       ELSE 'exists_with_different_request' END;
        RETURN;
    END IF;
    INSERT INTO postings (coin_id, entry_id, idx, account_id, amount, posted_at, lot_kind,
                          lot_expires_at, spend_kinds, lot_id, lot_entry_id)
    SELECT p_coin_id, entry_id, (t.n - 1)::smallint, t.account_id, t.amount, p_posted_at,
           t.lot_kind, t.lot_expires_at, string_to_array(t.spend_kinds, ','), t.lot_id,
           t.lot_entry_id
      FROM unnest(p_account_ids, p_amounts, p_lot_kinds, p_lot_expires_at, p_spend_kinds,
                  p_lot_ids, p_lot_entry_ids)
           WITH ORDINALITY AS t(account_id, amount, lot_kind, lot_expires_at, spend_kinds,
                                lot_id, lot_entry_id, n)
     ORDER BY t.account_id, t.n;
    INSERT INTO entries_unsealed (coin_id, entry_id) VALUES (p_coin_id, entry_id);
    result := 'ok';
END $$;

-- Locks, in the one global order (account, slot), the balance rows a batch of
-- entries will touch, so that concurrent batches cannot deadlock. A split
-- account that any leg lowers is gathered (all its slots); one that is only
-- raised has just this connection's slot locked.
CREATE FUNCTION ledger_lock_balances(p_coin_id bigint, p_account_ids bigint[], p_amounts bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT t.account_id, a.balance_slots,
               bool_or(CASE WHEN a.class IN ('asset', 'expense') THEN t.amount < 0
                            ELSE t.amount > 0 END) AS lowers
          FROM unnest(p_account_ids, p_amounts) AS t(account_id, amount)
          JOIN accounts a ON a.coin_id = p_coin_id AND a.id = t.account_id
         GROUP BY t.account_id, a.balance_slots
         ORDER BY t.account_id
    LOOP
        IF r.balance_slots = 1 THEN
            PERFORM 1 FROM account_balances
              WHERE coin_id = p_coin_id AND account_id = r.account_id AND slot = 0
              FOR NO KEY UPDATE;
        ELSIF r.lowers THEN
            PERFORM ledger_gather_slots(p_coin_id, r.account_id);
        ELSE
            PERFORM 1 FROM account_balances
              WHERE coin_id = p_coin_id AND account_id = r.account_id
                AND slot = pg_backend_pid() % r.balance_slots
              FOR NO KEY UPDATE;
        END IF;
    END LOOP;
END $$;

-- Posts a batch of entries in one call and three INSERTs (entries, postings,
-- the unsealed queue) instead of three per entry; the same result, row by row,
-- as ledger_post_entry called for each entry in order. Every balance row the
-- batch touches is locked first, in the global order. Legs are flat arrays:
-- p_leg_entries[i] is the (1-based) entry of leg i and p_leg_idx[i] its idx.
-- The lot arrays may be NULL when no leg names a lot.
CREATE FUNCTION ledger_post_entries(
    p_coin_id bigint, p_posted_at timestamptz,
    p_kinds text[], p_idempotency_keys text[], p_request_hashes bytea[],
    p_reverses_entry_ids bigint[], p_metadata text[],
    p_leg_entries integer[], p_leg_idx smallint[], p_account_ids bigint[], p_amounts bigint[],
    p_lot_kinds text[], p_lot_expires_at timestamptz[], p_spend_kinds text[],
    p_lot_ids bigint[], p_lot_entry_ids bigint[]
) RETURNS TABLE (result text, entry_id bigint) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_seq regclass := pg_get_serial_sequence('entries', 'id')::regclass;
    v_ids bigint[];
    v_new bigint[];
BEGIN
    PERFORM ledger_lock_balances(p_coin_id, p_account_ids, p_amounts);
    SELECT array_agg(nextval(v_seq)) INTO v_ids FROM generate_series(1, cardinality(p_kinds));
    WITH ins AS (
        INSERT INTO entries (id, coin_id, kind, posted_at, idempotency_key, request_hash,
                             reverses_entry_id, metadata)
        OVERRIDING SYSTEM VALUE
        SELECT t.id, p_coin_id, t.kind, p_posted_at, t.key, t.hash, t.rev, t.meta::jsonb
          FROM unnest(v_ids, p_kinds, p_idempotency_keys, p_request_hashes,
                      p_reverses_entry_ids, p_metadata) AS t(id, kind, key, hash, rev, meta)
         ORDER BY t.id
        ON CONFLICT (coin_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id)
    SELECT coalesce(array_agg(ins.id), '{}') INTO v_new FROM ins;
    INSERT INTO postings (coin_id, entry_id, idx, account_id, amount, posted_at, lot_kind,
                          lot_expires_at, spend_kinds, lot_id, lot_entry_id)
    SELECT p_coin_id, v_ids[l.e], l.idx, l.account_id, l.amount, p_posted_at, l.lot_kind,
           l.lot_expires_at, string_to_array(l.spend_kinds, ','), l.lot_id, l.lot_entry_id
      FROM unnest(p_leg_entries, p_leg_idx, p_account_ids, p_amounts, p_lot_kinds,
                  p_lot_expires_at, p_spend_kinds, p_lot_ids, p_lot_entry_ids)
           AS l(e, idx, account_id, amount, lot_kind, lot_expires_at, spend_kinds, lot_id,
                lot_entry_id)
     WHERE v_ids[l.e] = ANY (v_new)
     ORDER BY l.e, l.account_id, l.idx;
    INSERT INTO entries_unsealed (coin_id, entry_id)
    SELECT p_coin_id, n.id FROM unnest(v_new) AS n(id) ORDER BY n.id;
    RETURN QUERY
    SELECT CASE WHEN t.id = ANY (v_new) THEN 'ok'
                WHEN e.request_hash = t.hash THEN 'exists'
                ELSE 'exists_with_different_request' END,
           CASE WHEN t.id = ANY (v_new) THEN t.id ELSE e.id END
      FROM unnest(v_ids, p_idempotency_keys, p_request_hashes)
           WITH ORDINALITY AS t(id, key, hash, n)
      LEFT JOIN entries e ON NOT (t.id = ANY (v_new))
           AND e.coin_id = p_coin_id AND e.idempotency_key = t.key
     ORDER BY t.n;
END $$;

-- The canonical content of an entry, hashed by the sealer and by verify.
CREATE FUNCTION ledger_entry_digest(p_coin_id bigint, p_entry_id bigint) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(convert_to(concat_ws('|',
        e.coin_id, e.id, e.kind,
        (extract(epoch FROM e.posted_at) * 1000000)::bigint,
        coalesce(e.idempotency_key, ''), coalesce(encode(e.request_hash, 'hex'), ''),
        coalesce(e.reverses_entry_id::text, ''), e.metadata::text,
        (SELECT string_agg(concat_ws(':', p.idx, p.account_id, p.amount,
                    coalesce(p.lot_kind, ''),
                    coalesce(((extract(epoch FROM p.lot_expires_at) * 1000000)::bigint)::text, ''),
                    coalesce(array_to_string(p.spend_kinds, ','), ''),
                    coalesce(p.lot_id::text, ''), coalesce(p.lot_entry_id::text, '')),
                    ';' ORDER BY p.idx)
           FROM postings p WHERE p.coin_id = e.coin_id AND p.entry_id = e.id)
    ), 'UTF8'))
      FROM entries e WHERE e.coin_id = p_coin_id AND e.id = p_entry_id
$$;

-- Links up to p_max committed entries into the coin's chain. One sealer per
-- coin at a time (advisory lock); payments never wait on it.
CREATE FUNCTION ledger_seal(p_coin_id bigint, p_max integer, p_sealed_at timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_index bigint;
    v_prev bytea;
    v_content bytea;
    v_count integer := 0;
    r record;
BEGIN
    PERFORM pg_advisory_xact_lock(7301, p_coin_id::integer);
    SELECT chain_index, chain_hash INTO v_index, v_prev
      FROM entry_seals WHERE coin_id = p_coin_id ORDER BY chain_index DESC LIMIT 1;
    v_index := coalesce(v_index, 0);
    v_prev := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
    FOR r IN
        SELECT u.entry_id FROM entries_unsealed u
         WHERE u.coin_id = p_coin_id ORDER BY u.entry_id LIMIT p_max
    LOOP
        v_content := ledger_entry_digest(p_coin_id, r.entry_id);
        v_index := v_index + 1;
        v_prev := sha256(v_prev || v_content);
        INSERT INTO entry_seals
            (coin_id, chain_index, entry_id, content_hash, chain_hash, sealed_at)
        VALUES (p_coin_id, v_index, r.entry_id, v_content, v_prev, p_sealed_at);
        DELETE FROM entries_unsealed WHERE coin_id = p_coin_id AND entry_id = r.entry_id;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER accounts_open_balance_slots AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_open_balance_slots();
CREATE TRIGGER accounts_immutable BEFORE UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_apply AFTER INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();
CREATE CONSTRAINT TRIGGER entry_balanced AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER lot_movements_append_only BEFORE UPDATE OR DELETE ON lot_movements
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER entry_seals_append_only BEFORE UPDATE OR DELETE ON entry_seals
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)


def downgrade() -> None:
    raise NotImplementedError("the ledger's books are never dropped by a migration")
