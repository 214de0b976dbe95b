-- The cached balance of an account equals its postings.
--
-- Guarantees: every posting, however it was inserted, moves its account's
-- balance rows (account_balances) and, on a lot-tracked wallet, its lots in
-- the same statement; so the CHECK constraints on those rows refuse any
-- posting that takes a wallet below zero (posted or available). A posting may
-- only be added to an entry made by the same transaction (so a committed
-- entry never grows) and must name an existing account of its coin. A split
-- (hot) account takes credits on several rows; a decrease or a hold first
-- gathers them all into slot 0, so the check on one row is the check on the
-- whole account.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

-- Opens an account's balance rows, one per slot, at zero.
CREATE FUNCTION ledger_open_balance_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_balances (coin_id, account_id, slot, allow_negative)
    SELECT NEW.coin_id, NEW.id, s, NEW.allow_negative
      FROM generate_series(0, NEW.balance_slots - 1) s;
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

CREATE TRIGGER accounts_open_balance_slots AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_open_balance_slots();
CREATE TRIGGER postings_apply AFTER INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();
