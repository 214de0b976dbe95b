-- Posting a batch of entries in one round trip (ledger/entries.py, post_batch).
--
-- Guarantees: the same result, entry by entry, as ledger_post_entry called
-- for each in order, all or nothing; every balance row the batch touches is
-- locked first in the one global order (account, slot), so concurrent
-- batches cannot deadlock. ledger_lock_balances is also called on its own
-- (lock_balances in ledger/entries.py) before work that touches balances in
-- more than one statement.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

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
