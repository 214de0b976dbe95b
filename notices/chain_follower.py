"""Money notices read from the sealed books, after commit, never from the payment path.

The sealer gives each committed entry of a coin the next chain index, with no
gaps and in one order (ledger.chain). A coin's ``notice_cursors`` row holds the
last index this pass has read. One transaction locks the cursor, reads the
next sealed entries that touched a resident's wallet, writes their notices
(for residents who opted into the kind) and moves the cursor past them: the
notices and the cursor commit together or not at all, so an entry is never
skipped and never noticed twice (UNIQUE (coin, resident, kind, source) would
refuse the second anyway). The payment's own transaction writes nothing for
notices and waits on nothing: a notice follows the sealer by a second or two.

Why the chain and not the entries' ids: ids are handed out at INSERT, so a
later id can commit before an earlier one; reading "ids above the last seen"
would skip the slower one. Chain indexes are given in the order entries became
visible, one sealer at a time per coin, so everything below the head is final.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from kit.notice_outbox import NoticeKind, record_notice
from ledger.clock import Clock
from ledger.coins import list_coins
from ledger.unit_of_work import run_in_transaction

FOLLOW_BATCH_MAX = 500
BATCHES_PER_COIN_MAX = 100

_TOPUP_KINDS = frozenset({"topup.counter", "topup.atm", "topup.bank_account", "topup.card"})
_PAYMENT_KINDS = frozenset({"payment", "charge", "hold.capture"})
_POINTS_KINDS = frozenset({"points.grant", "topup.bonus"})


def notice_kind(entry_kind: str, amount: int) -> NoticeKind | None:
    """The notice an entry makes for a wallet it moved by ``amount`` (positive
    raised the balance); None for an entry no resident needs to hear of."""
    raised = amount > 0
    if entry_kind in _PAYMENT_KINDS:
        return NoticeKind.REFUND if raised else NoticeKind.PAYMENT
    if entry_kind == "refund" or entry_kind.startswith("refund."):
        return NoticeKind.REFUND if raised else None
    if entry_kind == "p2p":
        return NoticeKind.MONEY_RECEIVED if raised else None
    if entry_kind in _POINTS_KINDS:
        return NoticeKind.POINTS_GRANTED if raised else None
    if entry_kind in _TOPUP_KINDS:
        return NoticeKind.TOPUP if raised else None
    return None


@dataclass(frozen=True, slots=True)
class FollowReport:
    """Attributes: entries: sealed entries read; notices: notices written."""

    entries: int
    notices: int


def follow(
    conn: Connection, *, coin_id: int, at: datetime, limit: int = FOLLOW_BATCH_MAX
) -> FollowReport:
    """Reads up to ``limit`` sealed entries past the coin's cursor, in one transaction."""
    assert 1 <= limit <= FOLLOW_BATCH_MAX
    conn.execute(
        text(
            "INSERT INTO notice_cursors (coin_id, chain_index, updated_at)"
            " VALUES (:coin, 0, :at) ON CONFLICT (coin_id) DO NOTHING"
        ),
        {"coin": coin_id, "at": at},
    )
    # The lock makes passes of one coin take turns; other coins go on.
    cursor: int = conn.execute(
        text("SELECT chain_index FROM notice_cursors WHERE coin_id = :coin FOR UPDATE"),
        {"coin": coin_id},
    ).scalar_one()
    indexes = (
        conn.execute(
            text(
                "SELECT chain_index FROM entry_seals"
                " WHERE coin_id = :coin AND chain_index > :cursor"
                " ORDER BY chain_index LIMIT :limit"
            ),
            {"coin": coin_id, "cursor": cursor, "limit": limit},
        )
        .scalars()
        .all()
    )
    upto = _contiguous_end(cursor, list(indexes))
    if upto == cursor:
        return FollowReport(0, 0)
    written = sum(
        record_notice(
            conn,
            coin_id=coin_id,
            resident_id=line.resident_id,
            kind=kind,
            source=f"entry:{line.entry_id}",
            data={"entry_kind": line.kind, "amount": line.amount, "at": line.posted_at.isoformat()},
            at=at,
        )
        for line in _resident_lines(conn, coin_id=coin_id, after=cursor, upto=upto)
        if (kind := notice_kind(line.kind, line.amount)) is not None
    )
    conn.execute(
        text(
            "UPDATE notice_cursors SET chain_index = :upto, updated_at = :at WHERE coin_id = :coin"
        ),
        {"upto": upto, "at": at, "coin": coin_id},
    )
    return FollowReport(upto - cursor, written)


def _contiguous_end(cursor: int, indexes: list[int]) -> int:
    """The last index of the run cursor+1, cursor+2, …: the sealer leaves no gap,
    and if one ever showed, stopping before it is the safe way to be wrong."""
    end = cursor
    for index in indexes:
        if index != end + 1:
            break
        end = index
    return end


def _resident_lines(conn: Connection, *, coin_id: int, after: int, upto: int) -> list[Any]:
    """Each (entry, resident) of the range, with what the entry did to the wallet
    (positive raised it), for residents who take any notice at all."""
    return list(
        conn.execute(
            text(
                """
                SELECT e.id AS entry_id, e.kind, e.posted_at, w.resident_id,
                       -sum(p.amount)::bigint AS amount
                FROM entry_seals s
                JOIN entries e ON e.coin_id = s.coin_id AND e.id = s.entry_id
                JOIN postings p ON p.coin_id = e.coin_id AND p.entry_id = e.id
                JOIN wallets w ON w.coin_id = p.coin_id AND w.account_id = p.account_id
                JOIN notice_preferences np ON np.resident_id = w.resident_id
                WHERE s.coin_id = :coin AND s.chain_index > :after AND s.chain_index <= :upto
                  AND cardinality(np.kinds) > 0 AND cardinality(np.channels) > 0
                GROUP BY s.chain_index, e.id, e.kind, e.posted_at, w.resident_id
                HAVING sum(p.amount) <> 0
                ORDER BY s.chain_index
                """
            ),
            {"coin": coin_id, "after": after, "upto": upto},
        ).all()
    )


def follow_coin(engine: Engine, clock: Clock, coin_id: int) -> FollowReport:
    entries = notices = 0
    for _ in range(BATCHES_PER_COIN_MAX):
        report = run_in_transaction(
            engine, lambda conn: follow(conn, coin_id=coin_id, at=clock.now())
        )
        entries += report.entries
        notices += report.notices
        if report.entries < FOLLOW_BATCH_MAX:
            break
    return FollowReport(entries, notices)


def follow_all(engine: Engine, clock: Clock) -> FollowReport:
    entries = notices = 0
    for coin in run_in_transaction(engine, list_coins):
        report = follow_coin(engine, clock, coin.id)
        entries += report.entries
        notices += report.notices
    return FollowReport(entries, notices)
