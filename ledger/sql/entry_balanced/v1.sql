-- Every entry balances.
--
-- Guarantees: no transaction can COMMIT an entry whose postings do not sum to
-- zero or that has fewer than two postings (SQLSTATE 23514, constraint
-- entry_balanced), however its rows were inserted. The check is deferred to
-- COMMIT, so a test that rolls back proves nothing.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

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

CREATE CONSTRAINT TRIGGER entry_balanced AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
