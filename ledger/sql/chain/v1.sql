-- The hash chain over a coin's entries (ledger/chain.py).
--
-- Guarantees: each committed entry is linked once, in sequence order, with
-- its content hash (SHA-256 of a canonical rendering of the entry and its
-- postings) and chain hash = SHA-256(previous chain hash || content hash).
-- One sealer per coin at a time; payments never wait on it. Verification
-- recomputes the content hash with the same ledger_entry_digest.
--
-- Version 1, applied by migration 0001 (ledger core). A version that a
-- migration has applied is never edited: a change is a new version, applied
-- by a new migration (ledger/sql/README.md).

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
