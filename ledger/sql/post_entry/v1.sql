-- Posting one entry in one round trip (ledger/entries.py, post_entry).
--
-- Guarantees: the entry, its postings (in account order, so balance rows are
-- locked in the one global order) and its place in the sealer's queue are
-- inserted together, or, for an idempotency key already used, nothing is and
-- the first entry is returned. The books' refusals come from the guards
-- (entry_balanced/, balance_triggers/, lots/), raised with their names.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

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
