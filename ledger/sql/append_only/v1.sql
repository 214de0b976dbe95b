-- The books are append-only.
--
-- Guarantees: nobody, through the ledger or at a psql prompt, can UPDATE or
-- DELETE an account, an entry, a posting, a lot movement or a seal, nor
-- TRUNCATE entries or postings (SQLSTATE 23001, restrict_violation). A
-- mistake is corrected by a reversing entry. Whoever switches these triggers
-- off (the owner) is caught by the hash chain (chain/) for what was sealed.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

-- The trigger function of every append-only table: it refuses the change.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER accounts_immutable BEFORE UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
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
