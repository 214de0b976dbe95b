"""Personal data out of the hash-chained entries (APPI): entries name rows by id.

Entries are append-only and chained, so whatever they hold can never be
corrected or erased. Until now some carried text a person may be named in:
a points grant's reason, a top-up's bank reference (in its metadata and in
its idempotency key), the shop's name on a payment, an imported row's old
platform id. Each of these already lives in an ordinary row (points_grants,
topups, merchants, imported_records) that the entry's metadata names by id,
so the copies go:

1. The metadata loses those keys; a top-up's key becomes a SHA-256 of the
   reference (wallet_api.topups.entry_key), and its request fingerprint is
   recomputed for the new metadata, so a bank resending an old top-up is
   still answered with the first one.
2. Each sealed entry's content hash changed, so every coin whose chain holds
   such an entry is chained again from the first one: seals before it keep
   their hashes; from it on, content and chain hashes are recomputed with the
   same ledger_entry_digest the sealer and ``ledger verify`` use.
   ``chain_rebases`` records, per coin, where the chain was rebuilt, the head
   before and the head after, so a head anchored outside the database before
   this migration can be matched to the new one (docs/ledger.md).

The append-only triggers are switched off for this transaction only (the
migration runs as the tables' owner), and the sealer's per-coin lock is taken
so no seal lands while the chain is rebuilt. There is no way back: downgrade
drops ``chain_rebases`` and leaves the entries as they are.

Revision ID: 0035
Revises: 0045
Create Date: 2026-12-04
"""

from typing import Any

from alembic import op
from sqlalchemy import Connection, text

from ledger.entries import EntryRequest, credit, debit
from ledger.lots import LotKind

revision = "0035"
down_revision = "0045"
branch_labels = None
depends_on = None

BANK_CHANNELS = ("counter", "atm", "bank_account")


def upgrade() -> None:
    conn = op.get_bind()
    op.execute(
        """
        CREATE TABLE chain_rebases (
            coin_id bigint NOT NULL REFERENCES coins (id),
            rebased_at timestamptz NOT NULL,
            from_index bigint NOT NULL CHECK (from_index >= 1),
            previous_head bytea NOT NULL CHECK (length(previous_head) = 32),
            new_head bytea NOT NULL CHECK (length(new_head) = 32),
            reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
            PRIMARY KEY (coin_id, rebased_at)
        );
        ALTER TABLE entries DISABLE TRIGGER entries_append_only;
        ALTER TABLE entry_seals DISABLE TRIGGER entry_seals_append_only;
        CREATE TEMPORARY TABLE personal_entries ON COMMIT DROP AS
            SELECT coin_id, id AS entry_id FROM entries
             WHERE metadata ? 'merchant_name'
                OR (kind = 'points.grant' AND metadata ? 'reason')
                OR (kind IN ('topup.counter', 'topup.atm', 'topup.bank_account')
                    AND metadata ? 'reference')
                OR (kind = 'migration.opening' AND metadata ? 'ref');
        UPDATE entries e SET metadata = e.metadata - 'merchant_name'
            - (CASE WHEN e.kind = 'points.grant' THEN 'reason' ELSE '' END)
            - (CASE WHEN e.kind LIKE 'topup.%' THEN 'reference' ELSE '' END)
            - (CASE WHEN e.kind = 'migration.opening' THEN 'ref' ELSE '' END)
          FROM personal_entries p WHERE p.coin_id = e.coin_id AND p.entry_id = e.id;
        """
    )
    _rekey_topups(conn)
    op.execute(_REBASE)
    op.execute(
        """
        ALTER TABLE entries ENABLE TRIGGER entries_append_only;
        ALTER TABLE entry_seals ENABLE TRIGGER entry_seals_append_only;
        """
    )


def _topup_request(row: Any, metadata: dict[str, Any]) -> EntryRequest:
    """The request wallet_api.topups posts for a bank top-up, as it was made."""
    return EntryRequest(
        f"topup.{row.channel}",
        [
            debit(row.reserve_id, row.amount),
            credit(row.account_id, row.amount, lot_kind=LotKind.MONEY),
        ],
        metadata=metadata,
    )


def _rekey_topups(conn: Connection) -> None:
    """A bank top-up's key names the reference by digest; its fingerprint follows
    the new metadata where the old one is recognised (any other keeps its own, and a
    resent reference is then refused as reused rather than answered again)."""
    rows = conn.execute(
        text(
            "SELECT t.coin_id, t.entry_id, t.channel, t.reference, t.amount,"
            " t.institution_bank_code, e.request_hash, w.account_id,"
            " (SELECT a.id FROM accounts a WHERE a.coin_id = t.coin_id"
            "   AND a.code = 'reserve:bank') AS reserve_id"
            " FROM topups t JOIN entries e ON e.coin_id = t.coin_id AND e.id = t.entry_id"
            " JOIN wallets w ON w.coin_id = t.coin_id AND w.id = t.wallet_id"
            " WHERE t.channel = ANY(:channels)"
            " AND e.idempotency_key = 'topup:' || t.channel || ':' || t.reference"
        ),
        {"channels": list(BANK_CHANNELS)},
    ).all()
    for row in rows:
        institution = (
            {} if row.institution_bank_code is None else {"institution": row.institution_bank_code}
        )
        old = _topup_request(row, {"reference": row.reference} | institution).fingerprint()
        fingerprint = (
            _topup_request(row, institution).fingerprint()
            if bytes(row.request_hash) == old
            else bytes(row.request_hash)
        )
        conn.execute(
            text(
                "UPDATE entries SET idempotency_key = 'topup:' || :channel || ':'"
                " || encode(sha256(convert_to(:reference, 'UTF8')), 'hex'),"
                " request_hash = :fingerprint WHERE coin_id = :coin AND id = :entry"
            ),
            {
                "channel": row.channel,
                "reference": row.reference,
                "fingerprint": fingerprint,
                "coin": row.coin_id,
                "entry": row.entry_id,
            },
        )


# Rebuilds each touched coin's chain from its first changed seal, exactly as
# ledger_seal builds it, and records the heads before and after.
_REBASE = """
DO $$
DECLARE
    c record;
    r record;
    v_prev bytea;
    v_content bytea;
    v_old_head bytea;
BEGIN
    FOR c IN
        SELECT s.coin_id, min(s.chain_index) AS from_index
          FROM entry_seals s
          JOIN personal_entries p ON p.coin_id = s.coin_id AND p.entry_id = s.entry_id
         GROUP BY s.coin_id ORDER BY s.coin_id
    LOOP
        PERFORM pg_advisory_xact_lock(7301, c.coin_id::integer);
        SELECT chain_hash INTO v_old_head FROM entry_seals
         WHERE coin_id = c.coin_id ORDER BY chain_index DESC LIMIT 1;
        SELECT chain_hash INTO v_prev FROM entry_seals
         WHERE coin_id = c.coin_id AND chain_index = c.from_index - 1;
        v_prev := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
        FOR r IN
            SELECT chain_index, entry_id FROM entry_seals
             WHERE coin_id = c.coin_id AND chain_index >= c.from_index ORDER BY chain_index
        LOOP
            v_content := ledger_entry_digest(c.coin_id, r.entry_id);
            v_prev := sha256(v_prev || v_content);
            UPDATE entry_seals SET content_hash = v_content, chain_hash = v_prev
             WHERE coin_id = c.coin_id AND chain_index = r.chain_index;
        END LOOP;
        INSERT INTO chain_rebases
            (coin_id, rebased_at, from_index, previous_head, new_head, reason)
        VALUES (c.coin_id, now(), c.from_index, v_old_head, v_prev,
                'personal data moved out of entries (migration 0035)');
    END LOOP;
END $$;
"""


def downgrade() -> None:
    op.execute("DROP TABLE chain_rebases")
