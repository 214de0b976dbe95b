-- A wallet's lots: its balance by kind (money, premium, points) and expiry.
--
-- Guarantees: a lot-tracked wallet's lots always sum to its balance (the
-- posting trigger in balance_triggers/ calls these for every posting); a
-- debit never takes more than the eligible lots hold (SQLSTATE 23514,
-- constraint lots_insufficient) and no lot goes below zero (CHECK on
-- lots.remaining); a refund or reversal gives back the very lots its entry
-- took. Every change is an append-only lot movement.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

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
